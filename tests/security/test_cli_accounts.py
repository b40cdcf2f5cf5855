"""The accounts commands: ``users set-password`` (for the login page) and scoped ``tokens create``."""

from __future__ import annotations

import subprocess

from app.services.accounts import create_user
from tests.cli.test_commands import DOCSHELF, _env, run
from tests.security.test_sessions import login


def test_set_password_then_log_in(app, client):
    create_user("dana")
    done = subprocess.run(
        [DOCSHELF, "users", "set-password", "dana"],
        input="a long enough secret\na long enough secret\n",
        env=_env(app),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert login(client, username="dana", password="a long enough secret").status_code == 303


def test_scoped_token_from_the_cli(app, client):
    create_user("erin")
    key = run(app, "tokens", "create", "erin", "--scope", "builds:read", "--expires-days", "1").stdout.strip()
    response = client.get("/api/v3/projects/", headers={"X-API-Key": key})
    assert response.status_code == 403 and response.json["required_scope"] == "projects:read"
    bad = run(app, "tokens", "create", "erin", "--scope", "everything")
    assert bad.returncode == 1 and "Unknown scope" in bad.stderr
