"""A build's log: the append-only stream of chunks the worker writes (``BuildLogChunk``), read whole or
from an offset, so a poller gets everything new in one request and never re-reads what it has."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Build, BuildCommand, BuildLogChunk


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


def log_tail(build: Build, offset: int) -> tuple[str, int]:
    """What the log gained after ``offset`` bytes, and the offset to ask from next time."""
    return _chunks_from(build.id, max(offset, 0))


def build_log(build: Build) -> tuple[str, int]:
    """The whole plain-text log (a heading with the live state, the stream, and how the build ended),
    and the stream's end, from which a poller asks ``?offset=`` next."""
    head = f"Build {build.id} of {build.project.slug}/{build.version_slug}: {build.state}\n"
    if build.commit:
        head += f"Commit: {build.commit}\n"
    body, end = _chunks_from(build.id, 0)
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
