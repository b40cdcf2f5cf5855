"""The build log: each step becomes a BuildCommand row, committed as it goes so it is readable while running.

The recorder is also where a running build notices the outside world: it polls ``cancel_requested``
(on a fresh connection), refreshes the heartbeat housekeeping looks at, and enforces the build's deadline.
"""

from __future__ import annotations

import os
import shlex
import time

from app.extensions import db
from app.models import Build, BuildCommand
from app.models.base import utcnow
from app.services import build_health
from app.services.build_control import cancel_requested
from app.services.build_logs import LogStream, add_note, heading
from workers.failure import collapse_redraws, step_failed
from workers.log_stream import CommandOutput
from workers.process import CommandResult, Limits, OutputBuffer, run_command
from workers.sandbox import Sandbox


class BuildFailed(Exception):
    """A step failed in a way the user can fix; ``message`` becomes ``Build.error``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BuildCancelled(Exception):
    pass


class BuildTimeout(Exception):
    pass


def disk_usage(path: str, stop_above: int | None = None) -> int:
    """Bytes allocated under ``path``; stops counting once past ``stop_above``.

    Runs while a build step writes there, so it walks by directory descriptors opened with
    ``O_NOFOLLOW``: a directory swapped for a link meanwhile is skipped, never followed to the host.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    total = 0

    def walk(fd: int, depth: int) -> None:
        nonlocal total
        try:
            with os.scandir(fd) as entries:
                listed = list(entries)
        except OSError:
            return
        for entry in listed:
            if stop_above is not None and total > stop_above:
                return
            try:
                total += entry.stat(follow_symlinks=False).st_blocks * 512
                if depth < 256 and entry.is_dir(follow_symlinks=False):
                    child = os.open(entry.name, flags, dir_fd=fd)
                    try:
                        walk(child, depth + 1)
                    finally:
                        os.close(child)
            except OSError:
                continue

    try:
        top = os.open(path, flags)
    except OSError:
        return 0
    try:
        walk(top, 0)
    finally:
        os.close(top)
    return total


class Recorder:
    """Runs and records the commands of one build, within its time budget."""

    def __init__(self, build_id: int, timeout: int, limits: Limits, *, check_interval: float = 1.0,
                 beat_interval: float = 2.0, disk_interval: float = 2.0) -> None:
        self.build_id = build_id
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.limits = limits
        self.check_interval = check_interval
        self.beat_interval = beat_interval
        self._last_check = 0.0
        self._last_beat = 0.0
        self._cancelled = False
        self.sandbox: Sandbox | None = None  # set by the pipeline once the sandbox is open
        self.disk_path: str | None = None
        self.disk_limit: int | None = None
        self.disk_interval = disk_interval
        self._last_disk = 0.0
        self.over_disk = False
        #: Secrets (repository credentials) replaced by ``***`` in everything recorded: a git server may
        #: echo what it was sent, and the log is readable by everyone who can read the project.
        self.redact: list[str] = []
        self.log = LogStream(build_id)

    def clean(self, text: str) -> str:
        for secret in self.redact:
            if secret:
                text = text.replace(secret, "***")
        return text.replace("\x00", "")

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def should_stop(self) -> bool:
        """Cheap enough to call in a poll loop: hits Redis/the database at most once per interval."""
        now = time.monotonic()
        if now - self._last_beat >= self.beat_interval:
            self._last_beat = now
            build_health.beat(self.build_id)
        if not self._cancelled and now - self._last_check >= self.check_interval:
            self._last_check = now
            self._cancelled = cancel_requested(self.build_id)
        if self.disk_path and self.disk_limit and now - self._last_disk >= self.disk_interval:
            self._last_disk = now
            self.over_disk = disk_usage(self.disk_path, self.disk_limit) > self.disk_limit
        return self._cancelled or self.over_disk

    def disk_message(self) -> str:
        return (f"The build wrote more than its disk limit of {(self.disk_limit or 0) // 1024**2} MiB "
                f"(DOCSHELF_BUILD_DISK_LIMIT) and was stopped.")

    def checkpoint(self) -> None:
        """Between steps: stop here if the build was cancelled or ran out of time."""
        self._last_check = 0.0
        self._last_disk = 0.0
        if self.should_stop():
            if self.over_disk:
                raise BuildFailed(self.disk_message())
            raise BuildCancelled()
        if self.remaining() <= 0:
            raise BuildTimeout()

    def note(self, command: str, output: str = "", *, description: str = "", exit_code: int = 0) -> None:
        """Record a step that ran inside the worker (reading the config, publishing) like a command."""
        add_note(self.log, self.clean(command), self.clean(output), description, exit_code)
        db.session.commit()

    def warn(self, *messages: str) -> None:
        """Add to the build's ``warnings`` (its API representation), committed at once so a client
        polling the running build sees them; the log says the same where the thing happened."""
        if not messages:
            return
        build = db.session.get(Build, self.build_id)
        if build is not None:
            build.warnings = [*(build.warnings or []), *(self.clean(m) for m in messages)]
            db.session.commit()

    def run(self, argv: list[str], *, cwd: str, env: dict[str, str], description: str = "",
            display: str | None = None, check: bool = True) -> CommandResult:
        """Run and record one command; raises BuildFailed on a non-zero exit when ``check`` is set."""
        self.checkpoint()
        shown = self.clean(display or shlex.join(argv))
        cmd = BuildCommand(build_id=self.build_id, command=shown, description=description, output="",
                           start_time=utcnow())
        db.session.add(cmd)
        db.session.flush()  # its id, for the chunks of its output
        self.log.append(heading(shown))
        db.session.commit()
        live = CommandOutput(self.clean)

        def progress(buffer: OutputBuffer) -> None:
            """Only the new output is written: an INSERT per second, never a rewrite of the whole."""
            text = live.new_text(buffer)
            if text:
                self.log.append(text, cmd.id)
                db.session.commit()

        limits = Limits(timeout=self.remaining(), memory_bytes=self.limits.memory_bytes,
                        file_size_bytes=self.limits.file_size_bytes, max_output=self.limits.max_output,
                        processes=self.limits.processes)
        result = run_command(argv, cwd=cwd, env=env, limits=limits, should_stop=self.should_stop,
                             on_progress=progress, sandbox=self.sandbox)
        stop = ""
        if result.stopped == "cancelled" and self.over_disk:
            stop = f"\n[Docshelf stopped this command: {self.disk_message()}]\n"
        elif result.stopped == "timeout":
            stop = f"\n[Docshelf stopped this command: the build hit its {self.timeout} s time limit.]\n"
        elif result.stopped == "cancelled":
            stop = "\n[Docshelf stopped this command: the build was cancelled.]\n"
        cmd.output = collapse_redraws(self.clean(result.output + stop))
        cmd.exit_code = result.exit_code
        cmd.end_time = utcnow()
        seconds = (cmd.end_time - cmd.start_time).total_seconds()
        if result.buffer is not None:  # always, from run_command
            self.log.append(live.closing(result.buffer, stop, result.exit_code, seconds), cmd.id)
        db.session.commit()
        if result.stopped == "cancelled" and self.over_disk:
            raise BuildFailed(self.disk_message())
        if result.stopped == "timeout":
            raise BuildTimeout()
        if result.stopped == "cancelled":
            raise BuildCancelled()
        if check and result.exit_code != 0:
            # disk_path is the build's directory: file names in the error read as in the repository.
            paths = (f"{self.disk_path}/checkout/", f"{self.disk_path}/") if self.disk_path else ()
            raise BuildFailed(step_failed(step_name(description, shown), result.exit_code, cmd.output, paths))
        return result


def step_name(description: str, shown: str) -> str:
    """How an error names a step: Docshelf's own by their description ("Building html"); the project's
    commands (``build.jobs``, ``build.commands``) and undescribed ones by their command line too."""
    line = shown if len(shown) <= 120 else shown[:119] + "…"
    if not description:
        return f"The command `{line}`"
    if description.startswith("build."):
        return f"{description} `{line}`"
    return description
