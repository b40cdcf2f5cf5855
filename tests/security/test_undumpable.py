"""Docshelf's processes keep their environment to themselves (issue 12), and gunicorn opens no control socket.

``docshelf up`` runs for real (the API under gunicorn, a build worker); every one of its processes holds
the secret key and the Redis password in its environment, which another process of the same user (a
build running as the worker's user) must not read through ``/proc/<pid>/environ``, while an ordinary
process's stays readable.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

DOCSHELF = shutil.which("docshelf", path=os.path.dirname(sys.executable)) or "docshelf"
#: As root the test runs Docshelf with this group: ``/proc/<pid>`` files of a process belong to its
#: effective ids while it is dumpable and to root's when it is not (the kernel's ``task_dump_owner``).
NOGROUP = 65534


def _as_nogroup() -> None:
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOGROUP)


def _exposed(pid: int) -> bool:
    """Whether another process of the same user could read ``pid``'s environment.

    Not root: try it. Root reads everything, so the test asks the kernel which owner it gives the
    file: the process's own group while it is dumpable, root's once it is not.
    """
    if os.geteuid() != 0:
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                fh.read(1)
        except PermissionError:
            return False
        return True
    return os.stat(f"/proc/{pid}/environ").st_gid == NOGROUP


def _descendants(root: int) -> dict[int, str]:
    """pid → command line of every process below ``root``."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    found, frontier = {}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                try:
                    with open(f"/proc/{child}/cmdline", "rb") as fh:
                        found[child] = fh.read().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                frontier.append(child)
    return found


def _free_ports() -> tuple[int, int]:
    """Two free ports (the app's and the docs origin's), both held until both are chosen."""
    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.1", 0))
        second.bind(("127.0.0.1", 0))
        return first.getsockname()[1], second.getsockname()[1]


def test_docshelf_processes_are_not_dumpable_and_gunicorn_has_no_control_socket(tmp_path):
    port, docs_port = _free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_") and k != "XDG_RUNTIME_DIR"}
    env.update(DOCSHELF_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    command = [DOCSHELF, "up", "--port", str(port), "--docs-port", str(docs_port), "--workers", "1"]
    proc = subprocess.Popen(command, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=_as_nogroup)
    ordinary = subprocess.Popen(["sleep", "60"], preexec_fn=_as_nogroup)  # the control: dumpable
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v3/", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "docshelf up did not start"
                time.sleep(0.3)
        def ours() -> dict[int, str]:
            processes = {proc.pid: "docshelf up", **_descendants(proc.pid)}
            return {pid: cmd for pid, cmd in processes.items() if "redis-server" not in cmd}

        # Every process marks itself as its first step (app/cli.py); one still starting may be caught
        # in the instant between its exec and that line, so the check is repeated for a little while.
        deadline = time.monotonic() + 10
        while True:
            found = ours()
            kinds = " ".join(found.values())
            exposed = [cmd for pid, cmd in found.items() if _exposed(pid)]
            gunicorns = sum("gunicorn" in c for c in found.values())
            ready = "worker" in kinds and gunicorns >= 2
            if (ready and not exposed) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert ready, found  # the master, its worker and the build worker
        assert _exposed(ordinary.pid)
        assert exposed == []
        assert not (tmp_path / "home" / ".gunicorn").exists()  # gunicorn >= 25's default control socket
    finally:
        ordinary.kill()
        ordinary.wait()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
