"""Issue 13's credential attacks, each replayed and refused: a credential never creates, sees or
replays anything wider than itself, and a build's token is a bot that borrows no person's powers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken
from app.models.base import utcnow
from app.services.tokens import create_build_token, create_token
from tests import factories
from tests.api.helpers import assert_error
from tests.security.test_sessions import PASSWORD, login, session_csrf

P = "/api/v3/projects/pip"
NEW = {"name": "new", "scopes": ["projects:read"]}


@pytest.fixture
def hijacked_build(user):
    """The attack's set-up: a user's private project with the administrator added as a maintainer,
    named so that the administrator sorts first among the maintainers, and a running build."""
    admin = factories.UserFactory(role="admin", username="aaa-admin")
    project = factories.ProjectFactory(
        name="Pip", maintainers=[user, admin], privacy_level="private", with_latest=False
    )
    build = factories.BuildFactory(version__project=project, state="building")
    admin_token, _key = create_token(admin, "admin's own", scopes=["admin"])
    return build, admin, admin_token


def test_a_build_token_belongs_to_no_person(client, hijacked_build):
    build, admin, admin_token = hijacked_build
    headers = {"X-API-Key": create_build_token(build)}
    stored = db.session.scalar(select(ApiToken).where(ApiToken.build_id == build.id))
    assert stored.user_id is None and stored.scopes == ["builds:read", "projects:read"]
    # The attack: list the administrator's tokens, revoke one, mint one.
    assert_error(client.get("/api/v3/tokens/", headers=headers), 403, "insufficient_scope")
    revoke = client.delete(f"/api/v3/tokens/{admin_token.id}/", headers=headers)
    assert_error(revoke, 403, "insufficient_scope")
    assert_error(client.post("/api/v3/tokens/", json=NEW, headers=headers), 403, "insufficient_scope")
    assert db.session.get(ApiToken, admin_token.id).revoked is False
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.name == "new")) is None
    # Nothing that needs a person: not the admin's audit log, not "my projects", no writes.
    assert_error(client.get("/api/v3/audit/", headers=headers), 403, "insufficient_scope")
    assert_error(client.get("/api/v3/projects/", headers=headers), 403, "bot_not_allowed")
    assert_error(client.patch(f"{P}/", json={"tags": ["x"]}, headers=headers), 403, "insufficient_scope")


def test_a_build_token_reads_its_own_private_project_and_no_other_private_one(client, user, hijacked_build):
    build, admin, _admin_token = hijacked_build
    factories.ProjectFactory(name="Admin Only", maintainers=[admin], privacy_level="private")
    factories.ProjectFactory(name="Users Other", maintainers=[user], privacy_level="private")
    headers = {"X-API-Key": create_build_token(build)}
    assert client.get(f"{P}/", headers=headers).status_code == 200
    assert client.get(f"{P}/builds/{build.id}/", headers=headers).status_code == 200
    assert client.get(f"{P}/versions/{build.version.slug}/", headers=headers).status_code == 200
    for other in ("admin-only", "users-other"):
        assert_error(client.get(f"/api/v3/projects/{other}/", headers=headers), 404, "not_found")


def test_a_bot_token_manages_nothing_even_with_every_scope(client, hijacked_build):
    """Defence in depth: were a build's token ever given every scope, it would still act as nobody."""
    build, _admin, admin_token = hijacked_build
    _token, key = create_token(None, "bot", scopes=None, project_ids=[build.project_id], build_id=build.id)
    headers = {"X-API-Key": key}
    assert_error(client.get("/api/v3/tokens/", headers=headers), 403, "bot_not_allowed")
    assert_error(client.delete(f"/api/v3/tokens/{admin_token.id}/", headers=headers), 403, "bot_not_allowed")
    assert_error(client.patch(f"{P}/", json={"tags": ["x"]}, headers=headers), 403, "bot_not_allowed")


def test_a_project_without_maintainers_still_gets_a_build_token(client):
    build = factories.BuildFactory(
        version__project=factories.ProjectFactory(name="Pip", with_latest=False), state="building"
    )
    assert client.get(f"{P}/", headers={"X-API-Key": create_build_token(build)}).status_code == 200


def test_a_narrow_token_cannot_manage_tokens(client, user, auth_for):
    wide, _key = create_token(user, "admin", scopes=["admin"])
    narrow = auth_for(user, scopes=["projects:read"])
    for response in (
        client.get("/api/v3/tokens/", headers=narrow),
        client.get(f"/api/v3/tokens/{wide.id}/", headers=narrow),
        client.delete(f"/api/v3/tokens/{wide.id}/", headers=narrow),
        client.post("/api/v3/tokens/", json=NEW, headers=narrow),
    ):
        assert assert_error(response, 403, "insufficient_scope")["required_scope"] == "tokens"
    assert db.session.get(ApiToken, wide.id).revoked is False


def test_a_tokens_scope_sees_and_revokes_only_tokens_no_wider_than_itself(client, user, auth_for):
    wide, _key = create_token(user, "admin", scopes=["admin"])
    forever, _key = create_token(user, "forever", scopes=["projects:read"])
    soon = utcnow() + timedelta(days=1)
    peer, _key = create_token(user, "peer", scopes=["projects:read"], expires=soon - timedelta(hours=1))
    manager = auth_for(user, scopes=["projects:read", "tokens"], expires=soon)
    listed = {t["name"] for t in client.get("/api/v3/tokens/", headers=manager).json["results"]}
    assert listed == {"peer", "test"}  # itself and the narrower one; not "admin", not "forever"
    for hidden in (wide, forever):
        assert_error(client.delete(f"/api/v3/tokens/{hidden.id}/", headers=manager), 404, "not_found")
        assert db.session.get(ApiToken, hidden.id).revoked is False
    assert client.delete(f"/api/v3/tokens/{peer.id}/", headers=manager).status_code == 204


def test_an_expiring_token_creates_only_tokens_that_expire_no_later(client, user, auth_for):
    expires = utcnow() + timedelta(days=1)
    headers = auth_for(user, scopes=["projects:read", "tokens"], expires=expires)
    never = client.post("/api/v3/tokens/", json=NEW, headers=headers)
    assert "expire no later" in assert_error(never, 403, "permission_denied")["detail"]
    later = dict(NEW, expires=(expires + timedelta(seconds=1)).isoformat())
    assert_error(client.post("/api/v3/tokens/", json=later, headers=headers), 403, "permission_denied")
    same = dict(NEW, expires=expires.isoformat())
    assert client.post("/api/v3/tokens/", json=same, headers=headers).status_code == 201
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.expires.is_(None))) is None


def test_revoking_a_token_revokes_what_it_created(client, user, headers):
    body = dict(NEW, scopes=["projects:read", "tokens"])
    child = client.post("/api/v3/tokens/", json=body, headers=headers)
    child_headers = {"X-API-Key": child.json["token"]}
    grandchild = client.post("/api/v3/tokens/", json=NEW, headers=child_headers).json
    assert db.session.get(ApiToken, grandchild["id"]).parent_id == child.json["id"]
    assert client.delete(f"/api/v3/tokens/{child.json['id']}/", headers=headers).status_code == 204
    stolen = {"X-API-Key": grandchild["token"]}
    assert_error(client.get("/api/v3/projects/", headers=stolen), 401, "auth_required")


def test_a_browser_session_manages_tokens(client, user):
    from app.services.accounts import set_password

    set_password(user, PASSWORD)
    login(client, username=user.username)
    created = client.post("/api/v3/tokens/", json=NEW, headers={"X-CSRF-Token": session_csrf(client)})
    assert created.status_code == 201 and created.json["expires"] is None
    assert client.get("/api/v3/tokens/").json["count"] == 1


def test_idempotency_never_replays_another_credentials_answer(client, user, auth_for):
    wide = auth_for(user)
    narrow = auth_for(user, scopes=["projects:read"])
    body = dict(NEW, scopes=["projects:write"])
    first = client.post("/api/v3/tokens/", json=body, headers=dict(wide, **{"Idempotency-Key": "k"}))
    assert first.status_code == 201
    # The attack: the same user's narrow token sends the same key and body to read the new secret.
    replay = client.post("/api/v3/tokens/", json=body, headers=dict(narrow, **{"Idempotency-Key": "k"}))
    assert_error(replay, 403, "insufficient_scope")
    assert first.json["token"] not in replay.get_data(as_text=True)
    # Another full credential of the same user is served its own answer, not the first one's.
    second_wide = dict(auth_for(user), **{"Idempotency-Key": "k"})
    other = client.post("/api/v3/tokens/", json=body, headers=second_wide)
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert other.json["token"] != first.json["token"]
    again = client.post("/api/v3/tokens/", json=body, headers=dict(wide, **{"Idempotency-Key": "k"}))
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
