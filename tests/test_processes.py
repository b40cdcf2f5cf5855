"""Nothing a test session starts outlives it: the session's own check (tests/processes.py), and the
watchdog that ends an embedded Redis server whose owner was killed (app/embedded_redis.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests import processes
from tests.workers.conftest import wait_for


def _sleeper(mark: str | None = None, **kwargs: object) -> subprocess.Popen[bytes]:
    """``sleep 300``, marked as a session's process when ``mark`` is given (a mark of its own, so that
    the real session's processes, such as its Redis server's watchdog, stay out of these tests)."""
    env = {"PATH": os.environ["PATH"], **({processes.MARK: mark} if mark else {})}
    return subprocess.Popen(["sleep", "300"], env=env, **kwargs)  # type: ignore[call-overload]


def _until_visible(proc: subprocess.Popen[bytes], mark: str, directory: Path) -> None:
    """Wait until the scan can see ``proc``: Popen returns once exec has begun, and the kernel gives a
    new image's ``/proc/<pid>/environ`` (where the mark is) only once it has set the image up."""
    deadline = time.monotonic() + 10
    while proc.pid not in processes.session_processes(mark, directory):
        assert time.monotonic() < deadline, "the started process never showed up in /proc"
        time.sleep(0.01)


def test_the_session_finds_what_it_started_by_mark_or_by_directory(tmp_path: Path) -> None:
    mark = f"test-{uuid.uuid4().hex}"  # one of its own: tests of other xdist workers run meanwhile
    marked = _sleeper(mark)
    in_tmp = _sleeper(cwd=tmp_path)  # no mark, but it works in the session's directory
    elsewhere = _sleeper(cwd="/")  # neither: not the session's
    try:
        _until_visible(marked, mark, tmp_path)
        found = processes.session_processes(mark, tmp_path)
        assert found == {marked.pid: "sleep 300", in_tmp.pid: "sleep 300"}
        assert os.environ[processes.MARK] != mark  # the real session marks with its own
    finally:
        for proc in (marked, in_tmp, elsewhere):
            proc.kill()
            proc.wait()
    assert processes.session_processes(mark, tmp_path) == {}  # ended ones are not listed


def test_leftovers_are_killed_after_the_grace_period(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "GRACE_SECONDS", 0.5)
    mark = f"test-{uuid.uuid4().hex}"
    stubborn = _sleeper(mark, start_new_session=True)  # out of the process group, as a daemon
    _until_visible(stubborn, mark, tmp_path)
    assert processes.leftovers(mark, tmp_path) == {stubborn.pid: "sleep 300"}
    assert stubborn.wait(timeout=10) == -signal.SIGKILL


def test_an_embedded_redis_is_found_by_its_directory_and_ends_with_its_killed_owner(tmp_path: Path) -> None:
    """The owner (a test session, ``docshelf up``) killed with SIGKILL: its server does not run on."""
    owner = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from app.embedded_redis import open_embedded_redis\n"
         "server, url = open_embedded_redis(sys.argv[1])\n"
         "print(server.pid, flush=True)\n"
         "time.sleep(300)\n",
         str(tmp_path / "data")],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1],
        env={k: v for k, v in os.environ.items() if k != processes.MARK},  # found by its directory alone
    )
    assert owner.stdout is not None
    server_pid = int(owner.stdout.readline())
    found = processes.session_processes("no such mark", tmp_path)
    assert "redis-server" in found[server_pid]  # daemonized, its title over its environment
    owner.kill()
    owner.wait()
    wait_for(lambda: server_pid not in processes.session_processes("no such mark", tmp_path))
