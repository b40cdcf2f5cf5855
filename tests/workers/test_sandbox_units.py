"""The sandbox itself, without a build: what a command sees, what reaches bubblewrap, what is left."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from tests.workers.conftest import processes_with
from workers.process import Limits, run_command
from workers.recorder import disk_usage
from workers.sandbox import Sandbox


@pytest.fixture
def box(tmp_path):
    workdir = tmp_path / "build"
    (workdir / "tmp").mkdir(parents=True)
    (workdir / "home").mkdir()
    sandbox = Sandbox(workdir=str(workdir), network="none")
    sandbox.open()
    yield sandbox
    sandbox.close()


def _run(box: Sandbox, script: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = run_command(["sh", "-c", script], cwd=box.workdir, env={"PATH": "/usr/bin:/bin", **(env or {})},
                         limits=Limits(timeout=30), sandbox=box)
    return result.exit_code, result.output


def test_the_build_environment_reaches_the_command_only(box):
    """Project variables (LD_PRELOAD among them) never become bubblewrap's or the sandbox init's."""
    secret = f"s3cr3t-{uuid.uuid4().hex}"
    marker = f"marker-{uuid.uuid4().hex}"
    prepared = box.prepare(["true"], box.workdir, {"PROJECT_SECRET": secret})
    prepared.abandon()
    assert not any(secret in arg for arg in prepared.argv)  # not on any command line
    seen: dict[int, bool] = {}

    def watch() -> None:  # the host's view while the command runs: who holds the secret?
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(seen) < 4:
            for pid in processes_with(marker):
                try:
                    with open(f"/proc/{pid}/environ", "rb") as fh:
                        seen[pid] = secret.encode() in fh.read()
                except OSError:
                    continue
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    code, out = _run(box, f'sleep 2 # {marker}\necho "command sees $PROJECT_SECRET"',
                     {"PROJECT_SECRET": secret, "LD_PRELOAD": "/nonexistent/evil.so"})
    watcher.join()
    assert code == 0, out
    assert f"command sees {secret}" in out
    # bubblewrap (twice: the monitor and the namespace's init), sandbox_init and sh: only sh has it.
    assert len(seen) >= 4 and sorted(seen.values()) == [False] * (len(seen) - 1) + [True], seen


def test_the_build_user_is_unprivileged_and_sees_a_fresh_proc(box):
    code, out = _run(box, "id -u; ls /proc | grep -c '^[0-9]'; cat /etc/shadow 2>&1 || true; "
                          "ls /root 2>&1 || true")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "1000"
    assert int(lines[1]) <= 5  # bubblewrap's init, ours, sh and its two children: nothing of the host
    assert "root:" not in out


def test_disk_usage_never_follows_a_link(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_bytes(os.urandom(50_000))
    (tmp_path / "a" / "root").symlink_to("/")
    used = disk_usage(str(tmp_path))
    assert 50_000 <= used < 200_000
    assert disk_usage(str(tmp_path), stop_above=10) < 100_000
