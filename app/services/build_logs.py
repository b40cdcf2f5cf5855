"""A build's log: the append-only stream of chunks the worker writes (``BuildLogChunk``), read whole or
from an offset, so a poller gets everything new in one request and never re-reads what it has.

With object storage (``DOCSHELF_STORAGE_URL``), a finished build's log moves out of the database into
the bucket (Read the Docs' "cold storage", :func:`archive_log`); readers then take the archived bytes
and any chunk written after them (a cancelled build's worker may still be writing), so ``log.txt`` and
``?offset=`` answer the same either way.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, func, select

from app import storage
from app.extensions import db
from app.models import Build, BuildCommand, BuildLogChunk
from app.models.base import utcnow


def _chunks_from(build_id: int, offset: int) -> tuple[str, int]:
    """The log from byte ``offset`` on and the offset after it. An offset inside a chunk (a client's own
    arithmetic) is honoured by slicing that chunk's bytes."""
    first = db.session.execute(
        select(BuildLogChunk.start, BuildLogChunk.text)
        .where(BuildLogChunk.build_id == build_id, BuildLogChunk.start <= offset)
        .order_by(BuildLogChunk.start.desc()).limit(1)
    ).first() if offset > 0 else None
    rows = db.session.execute(
        select(BuildLogChunk.start, BuildLogChunk.size, BuildLogChunk.text)
        .where(BuildLogChunk.build_id == build_id, BuildLogChunk.start >= offset)
        .order_by(BuildLogChunk.start)
    ).all()
    parts: list[str] = []
    end = offset
    if first is not None and first.start < offset:
        data = first.text.encode("utf-8")
        skip = offset - first.start
        if skip < len(data):
            parts.append(data[skip:].decode("utf-8", "replace"))
            end = first.start + len(data)
    for row in rows:
        parts.append(row.text)
        end = row.start + row.size
    return "".join(parts), max(end, offset)


log = logging.getLogger(__name__)


def _read(build: Build, offset: int) -> tuple[str, int]:
    """The log from ``offset`` on, from the archive (finished builds) and the database."""
    cold = storage.backend().get_log(build.id) if build.is_final else None
    if cold is None:
        return _chunks_from(build.id, offset)
    head = cold[offset:].decode("utf-8", "replace") if offset < len(cold) else ""
    rest, end = _chunks_from(build.id, max(offset, len(cold)))
    return head + rest, max(end, len(cold))


def archive_log(build_id: int) -> bool:
    """Move a finished build's log chunks into object storage (nothing with the local backend).

    Only the chunks read are deleted, after the object is written: one appended meanwhile stays in
    the database, after the archived bytes. A failure leaves the log where it was (and readable).
    """
    try:
        backend = storage.backend()
    except Exception:
        log.warning("build %s: no storage for its log", build_id, exc_info=True)
        return False
    if backend.local:
        return False
    rows = db.session.execute(select(BuildLogChunk.start, BuildLogChunk.size, BuildLogChunk.text)
                              .where(BuildLogChunk.build_id == build_id).order_by(BuildLogChunk.start)).all()
    gaps = any(a.start + a.size != b.start for a, b in zip(rows, rows[1:], strict=False))
    if not rows or rows[0].start != 0 or gaps:
        return False  # empty, or not one contiguous stream: leave it to the database
    end = rows[-1].start + rows[-1].size
    try:
        if not backend.put_log(build_id, "".join(row.text for row in rows).encode("utf-8")):
            return False
        db.session.execute(delete(BuildLogChunk).where(BuildLogChunk.build_id == build_id,
                                                       BuildLogChunk.start < end))
        db.session.commit()
    except Exception:
        log.warning("build %s: log not moved to object storage", build_id, exc_info=True)
        db.session.rollback()
        return False
    return True


def log_tail(build: Build, offset: int) -> tuple[str, int]:
    """What the log gained after ``offset`` bytes, and the offset to ask from next time."""
    return _read(build, max(offset, 0))


def build_log(build: Build) -> tuple[str, int]:
    """The whole plain-text log (a heading with the live state, the stream, and how the build ended),
    and the stream's end, from which a poller asks ``?offset=`` next."""
    head = f"Build {build.id} of {build.project.slug}/{build.version_slug}: {build.state}\n"
    if build.commit:
        head += f"Commit: {build.commit}\n"
    body, end = _read(build, 0)
    running = db.session.scalar(select(BuildCommand.id).where(BuildCommand.build_id == build.id,
                                                              BuildCommand.end_time.is_(None)).limit(1))
    tail = "[running]\n" if running is not None and not build.is_final else ""
    if build.is_final:
        outcome = "succeeded" if build.success else "failed"
        if build.state == "cancelled":
            outcome = "was cancelled"
        ending = f"Build {outcome}." + (f" {build.error}" if build.error else "")
        if build.state == "cancelled" and "cancelled" in (build.error or ""):
            ending = str(build.error)  # "The build was cancelled ...": once is enough
        tail = f"\n{ending}\n"
    if running is not None and body and not body.endswith("\n"):
        body += "\n"
    return head + body + tail, end


def running_output(command: BuildCommand) -> str:
    """A running command's output so far (its ``output`` column is written once, when it ends)."""
    texts = db.session.scalars(select(BuildLogChunk.text).where(BuildLogChunk.command_id == command.id)
                               .order_by(BuildLogChunk.start))
    return "".join(texts)


# -- writing: the worker's recorder, and a publish of docs built elsewhere ----------------------------


class LogStream:
    """The build's log from this worker's side: knows where it ends and appends there."""

    def __init__(self, build_id: int) -> None:
        self.build_id = build_id
        self._end: int | None = None

    def end(self) -> int:
        """Where the next chunk starts; read once (a requeued build goes on after an earlier attempt)."""
        if self._end is None:
            stmt = select(func.max(BuildLogChunk.start + BuildLogChunk.size)).where(
                BuildLogChunk.build_id == self.build_id)
            self._end = int(db.session.scalar(stmt) or 0)
        return self._end

    def append(self, text: str, command_id: int | None = None) -> None:
        """Add ``text`` (committed by the caller's next commit)."""
        if not text:
            return
        size = len(text.encode("utf-8"))
        db.session.add(BuildLogChunk(build_id=self.build_id, command_id=command_id, start=self.end(),
                                     size=size, text=text))
        self._end = self.end() + size


def heading(command: str) -> str:
    return f"\n$ {command}\n"


def note_text(command: str, output: str, exit_code: int) -> str:
    """A note's whole entry: heading, output, closing line."""
    body = output if not output or output.endswith("\n") else output + "\n"
    return heading(command) + body + f"[exit code {exit_code}, 0.0 s]\n"


def add_note(log: LogStream, command: str, output: str, description: str, exit_code: int = 0) -> None:
    """A step that ran outside any process (reading the config, publishing), recorded like a command:
    its BuildCommand and its log entry (committed by the caller's next commit)."""
    now = utcnow()
    db.session.add(BuildCommand(build_id=log.build_id, command=command, description=description,
                                output=output, exit_code=exit_code, start_time=now, end_time=now))
    log.append(note_text(command, output, exit_code))
