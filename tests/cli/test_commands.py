"""The ``docshelf`` console script, run for real as a subprocess against the test database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

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
