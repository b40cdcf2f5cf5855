"""A build's log as an append-only stream of chunks (``BuildLogChunk``), written by the recorder.

Each command adds ``\\n$ <command>\\n``, its output as it arrives, and ``[exit code N, T s]``; a note adds
the same at once. Output is streamed from the head of the command's :class:`OutputBuffer` (which only
grows until it holds half the output limit); when a command's output overflows, the truncation marker
and the buffer's tail are appended when it ends. Secrets are redacted before anything is stored, and a
line is streamed once it is complete, so that neither a secret nor a redrawn progress bar is split
between two chunks.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

from sqlalchemy import func, select

from app.extensions import db
from app.models import BuildLogChunk
from workers.failure import collapse_redraws, last_drawing
from workers.process import OutputBuffer


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


class CommandOutput:
    """One command's output as it arrives: the new part of the buffer's head, decoded and redacted."""

    def __init__(self, clean: Callable[[str], str]) -> None:
        self.clean = clean
        self.buffer: OutputBuffer | None = None
        self.sent = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.pending = ""
        self.last = "\n"  # the last character given out: the closing line needs a line of its own

    def new_text(self, buffer: OutputBuffer, final: bool = False) -> str:
        if buffer is not self.buffer:  # a retried attempt (a sandbox that failed to start) starts over
            self.buffer, self.sent = buffer, 0
            self.decoder.reset()
        data = buffer.head_since(self.sent)
        self.sent += len(data)
        # Redact first, then hold back the unfinished last line: it may be the start of a secret the
        # next chunk completes, or a progress bar the next chunk redraws (``\r``), which the log shows
        # only as finally drawn. A line is never longer than the buffer's head, which is capped.
        text = self.clean(self.pending + self.decoder.decode(data, final))
        if final:
            out, self.pending = text, ""
        else:
            end = text.rfind("\n") + 1
            out, self.pending = text[:end], last_drawing(text[end:])
        return self._out(collapse_redraws(out), cleaned=True)

    def closing(self, buffer: OutputBuffer, stop_message: str, exit_code: int | None, seconds: float) -> str:
        """What follows the streamed part when the command has ended."""
        text = self.new_text(buffer, final=True)
        if buffer.truncated:  # nothing was held back: the head was streamed up to its end
            text += self._out(collapse_redraws(buffer.omission() + buffer.tail_text()))
        text += self._out(stop_message)
        if self.last != "\n":
            text += "\n"
        return text + f"[exit code {exit_code}, {seconds:.1f} s]\n"

    def _out(self, text: str, cleaned: bool = False) -> str:
        text = text if cleaned else self.clean(text)
        if text:
            self.last = text[-1]
        return text


def heading(command: str) -> str:
    return f"\n$ {command}\n"


def note_text(command: str, output: str, exit_code: int) -> str:
    """A note's whole entry: heading, output, closing line."""
    body = output if not output or output.endswith("\n") else output + "\n"
    return heading(command) + body + f"[exit code {exit_code}, 0.0 s]\n"
