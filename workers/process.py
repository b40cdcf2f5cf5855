"""Run one build command: its own process group, a scrubbed environment, rlimits, a time limit, capped output.

Commands take argument lists (never ``shell=True``). Each starts a new session so that a timeout or a
cancel can kill everything it spawned with one ``os.killpg``; ``PR_SET_PDEATHSIG`` makes the command die
with the worker process if that one is killed outright.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workers.sandbox import Sandbox

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
KILL_GRACE_SECONDS = 2.0
SANDBOX_SETUP_ATTEMPTS = 5
_PR_SET_PDEATHSIG = 1


@dataclass
class Limits:
    """Per-command limits; ``timeout`` is what is left of the build's time budget."""

    timeout: float
    memory_bytes: int | None = 4 * 1024**3
    file_size_bytes: int | None = 4 * 1024**3
    max_output: int = 1_000_000
    processes: int | None = None  # RLIMIT_NPROC; counted per sandbox for an unprivileged build user


@dataclass
class CommandResult:
    exit_code: int
    output: str
    stopped: str | None = None  # "timeout" or "cancelled" when Docshelf killed it
    truncated: bool = False
    buffer: OutputBuffer | None = field(default=None, repr=False)  # what ``output`` was made from


class OutputBuffer:
    """Keeps the head and the tail of a command's output: errors are usually at the end."""

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 1024)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.lock = threading.Lock()

    def feed(self, chunk: bytes) -> None:
        with self.lock:
            self.total += len(chunk)
            room = self.limit // 2 - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                excess = len(self.tail) - self.limit // 2
                if excess > 0:
                    del self.tail[:excess]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.head) + len(self.tail)

    def head_since(self, start: int) -> bytes:
        """The head from byte ``start`` on: the head only grows, so this part never changes again."""
        with self.lock:
            return bytes(self.head[start:])

    def omission(self) -> str:
        """The marker between head and tail ("" when nothing was dropped)."""
        with self.lock:
            omitted = self.total - len(self.head) - len(self.tail)
        if omitted <= 0:
            return ""
        return (f"\n\n[... {omitted} bytes of output truncated: a command's log keeps at most "
                f"{self.limit} bytes (its beginning and its end) ...]\n\n")

    def tail_text(self) -> str:
        with self.lock:
            return bytes(self.tail).decode("utf-8", "replace")

    def text(self) -> str:
        with self.lock:
            head = bytes(self.head)
        out = head.decode("utf-8", "replace") + self.omission() + self.tail_text()
        return out.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - not Linux
        return None


_LIBC = _libc()


def _child_setup(limits: Limits, parent_pid: int) -> Callable[[], None]:
    """Prepare in the parent; the returned function runs in the child between fork and exec."""
    caps: list[tuple[int, int]] = [(resource.RLIMIT_CORE, 0)]
    if limits.memory_bytes:
        caps.append((resource.RLIMIT_AS, limits.memory_bytes))
    if limits.file_size_bytes:
        caps.append((resource.RLIMIT_FSIZE, limits.file_size_bytes))
    if limits.processes:
        caps.append((resource.RLIMIT_NPROC, limits.processes))
    # CPU seconds add up over threads, so allow every core for the whole wall-clock budget: a backstop only.
    caps.append((resource.RLIMIT_CPU, int(limits.timeout * (os.cpu_count() or 1)) + 10))
    # Never raise a hard limit (that needs privileges): cap at the current one.
    resolved = []
    for which, value in caps:
        _soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resolved.append((which, value))
    libc = _LIBC

    def setup() -> None:
        for which, value in resolved:
            resource.setrlimit(which, (value, value))
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent_pid:  # the parent died before prctl took effect
                os._exit(137)

    return setup


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def run_command(
    argv: list[str],
    *,
    cwd: str,
    env: dict[str, str],
    limits: Limits,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[OutputBuffer], None] | None = None,
    poll_interval: float = 0.2,
    progress_interval: float = 1.0,
    sandbox: Sandbox | None = None,
) -> CommandResult:
    """Run ``argv`` to completion, a timeout, or a stop request; never raises for the command's failure."""
    for attempt in range(SANDBOX_SETUP_ATTEMPTS - 1):
        result = _run_once(argv, cwd=cwd, env=env, limits=limits, should_stop=should_stop,
                           on_progress=on_progress, poll_interval=poll_interval,
                           progress_interval=progress_interval, sandbox=sandbox)
        if sandbox is None or result.stopped or not _sandbox_setup_failed(result):
            return result
        time.sleep(0.2 * (attempt + 1))  # the kernel was short of something under load: let it recover
    return _run_once(argv, cwd=cwd, env=env, limits=limits, should_stop=should_stop, on_progress=on_progress,
                     poll_interval=poll_interval, progress_interval=progress_interval, sandbox=sandbox)


def _sandbox_setup_failed(result: CommandResult) -> bool:
    """bubblewrap failed while setting the sandbox up, before the command started (it then prints
    ``bwrap: ...`` and exits 1). Seen rarely, under load, as ``loopback: Failed RTM_NEWADDR``."""
    return result.exit_code == 1 and result.output.startswith("bwrap: ")


def _run_once(
    argv: list[str],
    *,
    cwd: str,
    env: dict[str, str],
    limits: Limits,
    should_stop: Callable[[], bool] | None,
    on_progress: Callable[[OutputBuffer], None] | None,
    poll_interval: float,
    progress_interval: float,
    sandbox: Sandbox | None,
) -> CommandResult:
    buffer = OutputBuffer(limits.max_output)
    prepared = sandbox.prepare(argv, cwd, env) if sandbox is not None else None
    try:
        proc = subprocess.Popen(
            prepared.argv if prepared else argv, cwd=sandbox.workdir if sandbox else cwd,
            env={"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"} if prepared else env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_child_setup(limits, os.getpid()), close_fds=True,
            pass_fds=prepared.pass_fds if prepared else (),
        )
    except OSError as exc:
        if prepared is not None:
            prepared.abandon()
        buffer.feed(f"Could not run {argv[0]}: {exc.strerror or exc}\n".encode())
        return CommandResult(exit_code=127, output=buffer.text(), buffer=buffer)
    if prepared is not None:
        prepared.started()
    assert proc.stdout is not None
    reader = threading.Thread(target=_pump, args=(proc.stdout.fileno(), buffer), daemon=True)
    reader.start()
    deadline = time.monotonic() + max(limits.timeout, 0)
    last_progress = time.monotonic()
    last_total = 0
    stopped: str | None = None
    while True:
        try:
            proc.wait(timeout=poll_interval)
            break
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() >= deadline:
            stopped = "timeout"
        elif should_stop is not None and should_stop():
            stopped = "cancelled"
        if stopped:
            _terminate(proc)
            break
        if on_progress is not None and time.monotonic() - last_progress >= progress_interval:
            last_progress = time.monotonic()
            if buffer.total != last_total:
                last_total = buffer.total
                on_progress(buffer)
    kill_group(proc.pid)  # whatever the command left running in its group goes with it
    if prepared is not None:
        prepared.cleanup()
    reader.join(timeout=5)
    proc.stdout.close()
    code = proc.returncode if proc.returncode is not None else -signal.SIGKILL
    return CommandResult(exit_code=code, output=buffer.text(), stopped=stopped, truncated=buffer.truncated,
                         buffer=buffer)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole group, then SIGKILL what is left after a short grace."""
    kill_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid, signal.SIGKILL)
        proc.wait()


def _pump(fd: int, buffer: OutputBuffer) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        buffer.feed(chunk)


def base_environment(*, home: str, tmpdir: str, path_prefix: list[str] | None = None) -> dict[str, str]:
    """A fresh environment from a fixed allowlist; the worker's own variables never leak into a build."""
    path = os.pathsep.join([*(path_prefix or []), SYSTEM_PATH])
    env = {
        "PATH": path,
        "HOME": home,
        "TMPDIR": tmpdir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PIP_NO_INPUT": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return env
