"""A command's output streamed into the build's log (:class:`app.services.build_logs.LogStream`).

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

from workers.failure import collapse_redraws, last_drawing
from workers.process import OutputBuffer


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
