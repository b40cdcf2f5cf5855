"""/api/v3/tokens/: list, create (shown once, hashed, prefixed), show, revoke; credentials headers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.crypto import TOKEN_PREFIX, hash_api_key
from app.extensions import db
from app.models import ApiToken
from app.models.base import utcnow
from app.services.tokens import create_token
from tests import factories
from tests.api.helpers import assert_error

BODY = {"name": "ci", "scopes": ["projects:read", "builds:trigger"]}


def test_create_shows_the_key_once_and_stores_only_its_hash(client, user, headers):
    response = client.post("/api/v3/tokens/", json=BODY, headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    key = body["token"]
    assert key.startswith(TOKEN_PREFIX) and body["prefix"] == key[:12]
    assert body["scopes"] == ["builds:trigger", "projects:read"] and body["projects"] is None
    assert response.headers["Location"] == f"http://localhost/api/v3/tokens/{body['id']}/"
    stored = db.session.get(ApiToken, body["id"])
    assert stored.key_hash == hash_api_key(key) and key not in (stored.key_hash, stored.prefix)
    shown = client.get(f"/api/v3/tokens/{body['id']}/", headers=headers).json
    assert "token" not in shown and shown["name"] == "ci"
    listed = client.get("/api/v3/tokens/", headers=headers).json
    assert listed["count"] == 2 and all("token" not in t for t in listed["results"])


def test_new_token_works_and_records_last_used(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    key = client.post("/api/v3/tokens/", json=BODY, headers=headers).json["token"]
    assert client.get("/api/v3/projects/", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.key_hash == hash_api_key(key)))
    assert token.last_used is not None


def test_x_api_key_header_and_keywords(client, user, token):
    for headers in (
        {"X-API-Key": token},
        {"Authorization": f"token {token}"},
        {"Authorization": f"Bearer {token}"},
    ):
        assert client.get("/api/v3/projects/", headers=headers).status_code == 200, headers
    assert_error(client.get("/api/v3/projects/", headers={"X-API-Key": " "}), 401, "auth_required")
    assert_error(client.get("/api/v3/projects/", headers={"X-API-Key": "dsh_nope"}), 401, "auth_required")
    assert_error(
        client.get("/api/v3/projects/", headers={"Authorization": "Basic abc"}), 401, "auth_required"
    )


def test_token_in_query_string_is_refused(client, user, token):
    for query in (f"token={token}", f"api_key={token}", f"access_token={token}", f"x={token}"):
        body = assert_error(
            client.get(f"/api/v3/projects/?{query}"), 400, "credentials_in_query", "validation"
        )
        assert "query string" in body["detail"]


def test_expired_and_revoked_tokens_are_refused(client, user, headers):
    _token, key = create_token(user, "old", scopes=["projects:read"], expires=utcnow() + timedelta(seconds=1))
    token = db.session.scalar(select(ApiToken).where(ApiToken.key_hash == hash_api_key(key)))
    token.expires = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_error(client.get("/api/v3/projects/", headers={"X-API-Key": key}), 401, "auth_required")
    created = client.post("/api/v3/tokens/", json=BODY, headers=headers).json
    assert client.delete(f"/api/v3/tokens/{created['id']}/", headers=headers).status_code == 204
    assert_error(
        client.get("/api/v3/projects/", headers={"X-API-Key": created["token"]}), 401, "auth_required"
    )
    assert client.get(f"/api/v3/tokens/{created['id']}/", headers=headers).json["revoked"] is True


def test_create_validation(client, user, headers):
    cases = [
        {"name": "x", "scopes": ["projects:destroy"]},
        {"name": "x", "scopes": []},
        {"name": "", "scopes": ["projects:read"]},
        {"name": "x" * 101, "scopes": ["projects:read"]},
        {"name": "x", "scopes": ["projects:read"], "expires": "2001-01-01T00:00:00Z"},
        {"name": "x", "scopes": ["projects:read"], "expires": "not a date"},
        {"name": "x", "scopes": ["projects:read"], "projects": ["not-mine"]},
        {"name": "x"},
    ]
    for body in cases:
        assert_error(client.post("/api/v3/tokens/", json=body, headers=headers), 400, "validation_error")
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.name == "x")) is None


def test_expiry_and_project_restriction_are_stored(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    body = dict(BODY, expires="2099-01-01T00:00:00+00:00", projects=["pip"])
    created = client.post("/api/v3/tokens/", json=body, headers=headers).json
    assert created["expires"] == "2099-01-01T00:00:00Z" and created["projects"] == ["pip"]


def test_a_token_cannot_mint_a_wider_token(client, user):
    project = factories.ProjectFactory(name="Pip", maintainers=[user])
    _t, narrow = create_token(user, "narrow", scopes=["projects:read", "tokens"], project_ids=[project.id])
    headers = {"X-API-Key": narrow}
    wider_scope = {"name": "w", "scopes": ["projects:write"], "projects": ["pip"]}
    assert_error(client.post("/api/v3/tokens/", json=wider_scope, headers=headers), 403, "permission_denied")
    all_projects = {"name": "w", "scopes": ["projects:read"]}
    assert_error(client.post("/api/v3/tokens/", json=all_projects, headers=headers), 403, "permission_denied")
    same = {"name": "ok", "scopes": ["projects:read", "tokens"], "projects": ["pip"]}
    assert client.post("/api/v3/tokens/", json=same, headers=headers).status_code == 201


def test_tokens_are_private_to_their_owner(client, user, headers):
    other = factories.UserFactory()
    theirs, _key = create_token(other, "theirs", scopes=["projects:read"])
    assert_error(client.get(f"/api/v3/tokens/{theirs.id}/", headers=headers), 404, "not_found")
    assert_error(client.delete(f"/api/v3/tokens/{theirs.id}/", headers=headers), 404, "not_found")
    assert db.session.get(ApiToken, theirs.id).revoked is False
    assert all(t["name"] != "theirs" for t in client.get("/api/v3/tokens/", headers=headers).json["results"])


def test_tokens_routes_need_authentication(client):
    assert_error(client.get("/api/v3/tokens/"), 401, "auth_required")
    assert_error(client.post("/api/v3/tokens/", json=BODY), 401, "auth_required")
    assert_error(client.delete("/api/v3/tokens/1/"), 401, "auth_required")
