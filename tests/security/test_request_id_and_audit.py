"""X-Request-ID on every response and in error bodies; the audit log and who may read it."""

from __future__ import annotations

import logging

from tests import factories
from tests.api.helpers import assert_error, token_headers


def test_request_id_is_kept_when_sane_and_made_up_otherwise(client):
    kept = client.get("/api/v3/", headers={"X-Request-ID": "abc-123.x:y"})
    assert kept.headers["X-Request-ID"] == "abc-123.x:y"
    for bad in ("has space", "x" * 200, "<script>", "ü"):
        response = client.get("/api/v3/", headers={"X-Request-ID": bad})
        assert response.headers["X-Request-ID"] != bad and len(response.headers["X-Request-ID"]) == 32
    error = client.get("/api/v3/projects/", headers={"X-Request-ID": "req-42"})
    assert assert_error(error, 401, "auth_required")["request_id"] == "req-42"
    for path in ("/login", "/api/v3/nope/", "/api/v3/openapi.json"):
        assert client.get(path).headers.get("X-Request-ID"), path


def test_security_actions_are_audited_with_request_ids(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    bob = factories.UserFactory(username="bob")
    rid = {"X-Request-ID": "audit-1"}
    created = client.post(
        "/api/v3/tokens/", json={"name": "ci", "scopes": ["projects:read"]}, headers=headers
    ).json
    client.delete(f"/api/v3/tokens/{created['id']}/", headers=headers)
    invited = client.post(
        "/api/v3/projects/pip/maintainers/", json={"username": "bob"}, headers=dict(headers, **rid)
    ).json
    client.post(f"/api/v3/invitations/{invited['id']}/accept/", json={}, headers=token_headers(bob))
    client.delete("/api/v3/projects/pip/maintainers/bob/", headers=headers)
    client.post("/api/v3/projects/pip/grants/", json={"username": "bob"}, headers=headers)
    client.delete("/api/v3/projects/pip/grants/bob/", headers=headers)
    variable = client.post(
        "/api/v3/projects/pip/environmentvariables/", json={"name": "FOO", "value": "bar"}, headers=headers
    ).json
    client.delete(f"/api/v3/projects/pip/environmentvariables/{variable['pk']}/", headers=headers)
    assert client.delete("/api/v3/projects/pip/", headers=headers).status_code == 204

    admin = token_headers(factories.UserFactory(role="admin"))
    events = client.get("/api/v3/audit/?limit=100", headers=admin).json["results"]
    actions = [e["action"] for e in reversed(events)]
    for action in (
        "token.created",
        "token.revoked",
        "invitation.sent",
        "maintainer.added",
        "maintainer.removed",
        "grant.added",
        "grant.removed",
        "envvar.created",
        "envvar.deleted",
        "project.deleted",
    ):
        assert action in actions, action
    sent = next(e for e in events if e["action"] == "invitation.sent")
    assert sent["actor"] == "alice" and sent["project"] == "pip" and sent["target"] == "bob"
    assert sent["request_id"] == "audit-1" and sent["ip"] == "127.0.0.1"
    added = next(e for e in events if e["action"] == "maintainer.added")  # bob consented
    assert added["actor"] == "bob" and added["project"] == "pip" and added["target"] == "bob"
    env = next(e for e in events if e["action"] == "envvar.created")
    assert env["project"] == "pip" and env["target"] == "FOO" and "bar" not in str(env)
    filtered = client.get("/api/v3/audit/?action=grant.added", headers=admin).json
    assert filtered["count"] == 1 and bob.username == filtered["results"][0]["target"]


def test_audit_log_is_for_admins_only(client, headers):
    assert_error(client.get("/api/v3/audit/"), 401, "auth_required")
    assert_error(client.get("/api/v3/audit/", headers=headers), 403, "permission_denied")


def test_unhandled_errors_log_the_request_id(client, app, monkeypatch, caplog):
    from app.api import root

    def boom(self):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(root.Root, "get", boom)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v3/", headers={"X-Request-ID": "trace-me"})
    assert_error(response, 500, "internal_error")
    assert any(getattr(r, "request_id", None) == "trace-me" for r in caplog.records)
