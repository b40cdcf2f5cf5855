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


def test_end_sessions_logs_a_user_out_everywhere(app, client):
    from app.extensions import db
    from app.models import AuditEvent

    create_user("fred", password="a long enough secret")
    other = app.test_client()
    for browser in (client, other):
        assert login(browser, username="fred", password="a long enough secret").status_code == 303
        assert browser.get("/api/v3/projects/").status_code == 200
    done = run(app, "users", "end-sessions", "fred")
    assert done.returncode == 0 and "ended 2 session(s) of fred" in done.stdout
    for browser in (client, other):
        assert browser.get("/api/v3/projects/").status_code == 401
    db.session.expire_all()
    assert db.session.query(AuditEvent).filter_by(action="sessions.ended", target="fred").count() == 1
