"""Commands that wait on the server, run as the real console script: device login and ``--wait`` builds."""

from __future__ import annotations

import json
import re
import tarfile
import time
from pathlib import Path

from docshelf_client.config import load_config
from flask import request_finished

from app.models import Build
from app.services import device
from tests import factories
from tests.workers.conftest import Repo, sphinx_files, wait_for, work


def test_login_through_device_flow(app, spawn, user, client_env, live_url, monkeypatch):
    monkeypatch.setitem(app.config, "DEVICE_POLL_INTERVAL", 1)
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    del client_env["DOCSHELF_TOKEN"]
    proc = spawn("login", "--profile", "work")
    assert proc.stderr is not None
    line = ""
    while "enter the code" not in line:
        line = proc.stderr.readline()
        assert line, "login exited before showing a code"
    code = re.search(r"[A-Z]{4}-[A-Z]{4}", line)
    assert code is not None and f"{live_url}/device" in line
    device.decide(device.pending_by_user_code(code.group()), user, approve=True)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "saved in profile 'work'" in out

    saved = load_config(Path(client_env["DOCSHELF_CLIENT_CONFIG"]))
    assert saved["default"] == "work" and saved["servers"]["work"]["url"] == live_url
    # The stored token works on its own, through the profile alone.
    check = spawn("projects", "list", "--json")
    listed, err = check.communicate(timeout=30)
    assert check.returncode == 0, err
    assert [p["slug"] for p in json.loads(listed)] == ["pip"]


def _wait_build(spawn, *args):
    """Start ``builds trigger --wait``, run the queued build with an in-process worker, collect output."""
    proc = spawn("builds", "trigger", *args, "--wait", "--interval", "0.2")
    wait_for(lambda: Build.query.count() or proc.poll() is not None, timeout=30)
    assert proc.poll() is None, proc.communicate()
    work()
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_wait_on_passing_build_then_download(spawn, cli, user, tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit(sphinx_files("Client Docs"), "first")
    factories.ProjectFactory(name="Fix", slug="fix", repository_url=repo.url, maintainers=[user])
    code, out, err = _wait_build(spawn, "fix", "latest")
    assert code == 0, out + err
    # The log was streamed whole: each command once, running markers never shown.
    assert out.count("\n$ python -m sphinx") == 1 and "build succeeded." in out and "[running]" not in out
    assert "passed" in out

    target = tmp_path / "docs.tar.gz"
    got = cli("download", "fix", "latest", "--format", "tar.gz", "-o", str(target), "--json")
    assert got.exit_code == 0, got.stderr
    assert json.loads(got.stdout)["bytes"] == target.stat().st_size
    with tarfile.open(target) as archive:
        assert "fix-latest/index.html" in archive.getnames()
    missing = cli("download", "fix", "latest", "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    assert missing.exit_code == 1 and "no pdf download" in missing.stderr


def test_wait_on_failing_build_exits_nonzero_with_output(spawn, user, tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit(sphinx_files("Broken", extra="raise RuntimeError('conf.py is broken on purpose')\n"), "bad")
    factories.ProjectFactory(name="Bad", slug="bad", repository_url=repo.url, maintainers=[user])
    code, out, err = _wait_build(spawn, "bad", "--json")
    assert code == 1
    assert "conf.py is broken on purpose" in err
    assert "exit" in err
    assert json.loads(out)["success"] is False


def test_wait_survives_the_rate_limit(app, spawn, user, tmp_path, monkeypatch):
    """A follower polling faster than the user's limit waits out each 429's Retry-After, and the build's
    success is still exit 0 (the server's real limiter, counted through Flask's request_finished)."""
    monkeypatch.setitem(app.config, "RATE_LIMITS_ENABLED", True)
    monkeypatch.setitem(app.config, "RATE_LIMIT_USER", "4/second")
    statuses: list[int] = []

    def seen(_sender, response, **_extra):
        statuses.append(response.status_code)

    repo = Repo(tmp_path / "repo")
    repo.commit(sphinx_files("Limited"), "first")
    factories.ProjectFactory(name="Limited", slug="limited", repository_url=repo.url, maintainers=[user])
    with request_finished.connected_to(seen, app):
        proc = spawn("builds", "trigger", "limited", "latest", "--wait", "--interval", "0.05")
        wait_for(lambda: Build.query.count() or proc.poll() is not None, timeout=30)
        time.sleep(1.5)  # the follower polls meanwhile: well past 4 a second
        work()
        out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, out + err
    assert 429 in statuses and statuses.count(200) > 3
    assert out.count("\n$ python -m sphinx") == 1 and "build succeeded." in out
