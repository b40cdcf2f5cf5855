"""What a failed step tells its reader: the step, and the last meaningful lines of its output.

A build's ``error`` is read in the API, the browsable pages, notifications and emails, usually without
the log beside it; "Command failed with exit code 2" sends everyone to the log for the one line that
matters (an unknown directive, a missing package), so that line goes into the error itself. Terminal
control (colours, progress bars redrawn with carriage returns) means nothing outside a terminal and is
taken out, here and in the log (:func:`collapse_redraws`).
"""

from __future__ import annotations

import re

#: How much of the output an error carries; the log has the rest.
MAX_CAUSE = 500
MAX_LINES = 6
#: CSI sequences (colours, cursor moves) and OSC sequences (window titles, hyperlinks).
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
#: Lines that are never the cause: pip's upgrade advice, Sphinx's bug-report trailer, Docshelf's notes.
_NOISE = re.compile(r"^(\[notice\] |\[Docshelf stopped this command|The full traceback has been saved in"
                    r"|/\S*sphinx-err-\S+\.log$|To report this error to the developers"
                    r"|Please also report this if it was a user error)")
#: Lines that say what went wrong (an error, a Python exception, git's and compilers' "fatal:"),
#: then, when there are none, warnings (``fail_on_warning`` makes them the cause).
_ERROR = re.compile(r"\b(ERROR|CRITICAL|FATAL)\b|\b\w*(Error|Exception)\b:|^(error|fatal)\b:?")
_WARNING = re.compile(r"\bWARNING\b")
#: Between the quoted lines: an error is one line, for tables, subjects and shell scripts that echo it.
SEPARATOR = " | "
#: Error lines an error quotes, besides the output's last line.
MAX_ERROR_LINES = 3


def collapse_line(line: str) -> str:
    """A line redrawn with carriage returns, as a terminal would leave it: its last drawing."""
    if "\r" not in line:
        return line
    drawings = [part for part in line.split("\r") if part]
    return drawings[-1] if drawings else ""


def last_drawing(unfinished: str) -> str:
    """An unfinished line cut down to its last drawing, keeping the carriage returns after it (the
    next chunk redraws over them), so that holding it back costs no more than one drawing."""
    drawn = unfinished.rstrip("\r")
    return unfinished[drawn.rfind("\r") + 1:]


def collapse_redraws(text: str) -> str:
    """Every line of ``text`` as it was finally drawn (``\\r\\n`` endings count as plain ends)."""
    if "\r" not in text:
        return text
    return "\n".join(collapse_line(line) for line in text.split("\n"))


def meaningful_lines(output: str) -> list[str]:
    """The output's lines without terminal control, blank lines and known noise."""
    text = collapse_redraws(_ANSI.sub("", output))
    lines = [line.rstrip() for line in text.splitlines()]
    return [line for line in lines if line.strip() and not _NOISE.match(line.strip())]


def cause(output: str, limit: int = MAX_CAUSE, paths: tuple[str, ...] = ()) -> str:
    """What went wrong, from ``output``: its last error lines (warnings when there is no error) and
    its last line, else its last lines; at most ``limit`` characters, cut at the front. ``paths``
    (the build's directories) are taken out of file names, which then read as in the repository."""
    lines = meaningful_lines(output)
    for path in paths:
        lines = [line.replace(path, "") for line in lines]
    flagged = [line.strip() for line in lines if _ERROR.search(line)] or [
        line.strip() for line in lines if _WARNING.search(line)]
    if flagged:
        picked = list(dict.fromkeys(reversed(flagged)))[:MAX_ERROR_LINES][::-1]  # last ones, once each
        last = lines[-1].strip()
        if last not in picked:
            picked.append(last)
    else:
        picked = [line.rstrip() for line in lines[-MAX_LINES:]]
    text = SEPARATOR.join(picked)
    while len(text) > limit and len(picked) > 1:  # drop whole lines from the front first
        picked.pop(0)
        text = SEPARATOR.join(picked)
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def step_failed(step: str, exit_code: int | None, output: str, paths: tuple[str, ...] = ()) -> str:
    """``Building html failed (exit code 2): <cause>``, the build's ``error`` for a failed command."""
    head = f"{step} failed (exit code {exit_code})"
    why = cause(output, paths=paths)
    return f"{head}: {why}" if why else f"{head}; the command printed nothing."
