"""Token scopes per route family, the insufficient_scope body, project restriction, build tokens."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services.tokens import create_build_token, revoke_build_tokens
from tests import factories
from tests.api.helpers import assert_error

P = "/api/v3/projects/pip"
FAMILIES = {
    "read": ("get", f"{P}/", None, 200),
    "builds-read": ("get", f"{P}/builds/", None, 200),
    "write": ("patch", f"{P}/", {"tags": ["x"]}, 204),
    "trigger": ("post", f"{P}/versions/latest/builds/", {}, 202),
    "redirects": ("post", f"{P}/redirects/", {"type": "page", "from_url": "/a", "to_url": "/b"}, 201),
    "envvars-read": ("get", f"{P}/environmentvariables/", None, 200),
    "envvars-write": ("post", f"{P}/environmentvariables/", {"name": "FOO", "value": "bar"}, 201),
    "delete": ("delete", f"{P}/", None, 204),
}
REQUIRED = {
    "read": "projects:read",
    "builds-read": "builds:read",
    "write": "projects:write",
    "trigger": "builds:trigger",
    "redirects": "redirects:write",
    "envvars-read": "envvars:read",
    "envvars-write": "envvars:write",
    "delete": "projects:write",
}
ALLOWED = {
    "projects:read": {"read"},
    "projects:write": {"read", "write", "delete"},
    "builds:read": {"builds-read"},
    "builds:trigger": {"builds-read", "trigger"},
    "redirects:write": {"redirects"},
    "envvars:read": {"envvars-read"},
    "envvars:write": {"envvars-read", "envvars-write"},
    "admin": set(FAMILIES),
}


@pytest.mark.parametrize("scope", list(ALLOWED))
def test_each_scope_opens_exactly_its_routes(client, user, auth_for, scope):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    headers = auth_for(user, scopes=[scope])
    for family, (method, path, body, success) in FAMILIES.items():
        kwargs = {"headers": headers} if body is None else {"headers": headers, "json": body}
        response = getattr(client, method)(path, **kwargs)
        if family in ALLOWED[scope]:
            assert response.status_code == success, (scope, family, response.get_data(as_text=True))
        else:
            body_ = assert_error(response, 403, "insufficient_scope", "auth")
            assert body_["required_scope"] == REQUIRED[family], (scope, family)
            assert REQUIRED[family] in body_["detail"]


def test_unscoped_token_keeps_full_access(client, user, token):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    assert client.patch(f"{P}/", json={"tags": []}, headers={"X-API-Key": token}).status_code == 204


def test_scope_is_checked_before_the_project_is_looked_up(client, user, auth_for):
    headers = auth_for(user, scopes=["projects:read"])
    assert_error(client.patch("/api/v3/projects/nope/", json={}, headers=headers), 403, "insufficient_scope")


def test_insufficient_scope_does_not_bypass_permissions(client, user, auth_for):
    factories.ProjectFactory(name="Pip", maintainers=[factories.UserFactory()])
    headers = auth_for(user, scopes=["projects:write"])
    assert_error(client.patch(f"{P}/", json={"tags": []}, headers=headers), 403, "permission_denied")


def test_project_restriction(client, user, auth_for):
    pip = factories.ProjectFactory(name="Pip", maintainers=[user])
    factories.ProjectFactory(name="Secret", privacy_level="private", maintainers=[user])
    factories.ProjectFactory(name="Open", maintainers=[user])
    headers = auth_for(user, scopes=["projects:write"], project_ids=[pip.id])
    assert client.patch(f"{P}/", json={"tags": []}, headers=headers).status_code == 204
    assert_error(client.get("/api/v3/projects/secret/", headers=headers), 404, "not_found")
    assert client.get("/api/v3/projects/open/", headers=headers).status_code == 200  # public anyway
    assert_error(client.patch("/api/v3/projects/open/", json={}, headers=headers), 403, "permission_denied")
    new = {"name": "New", "repository": {"url": "https://github.com/a/b"}}
    assert_error(client.post("/api/v3/projects/", json=new, headers=headers), 403, "permission_denied")
    listed = client.get("/api/v3/projects/", headers=headers).json
    assert [p["slug"] for p in listed["results"]] == ["pip"] and listed["count"] == 1


def test_admin_scope_needed_for_admin_routes(client, auth_for):
    admin = factories.UserFactory(role="admin")
    assert client.get("/api/v3/audit/", headers=auth_for(admin, scopes=["admin"])).status_code == 200
    narrow = auth_for(admin, scopes=["projects:write"])
    assert_error(client.get("/api/v3/audit/", headers=narrow), 403, "insufficient_scope")


def test_build_token_reads_its_project_only_and_dies_with_the_build(client, user):
    factories.ProjectFactory(name="Other", maintainers=[user], privacy_level="private")
    build = factories.BuildFactory(
        version__project=factories.ProjectFactory(name="Pip", maintainers=[user], with_latest=False),
        state="building",
    )
    headers = {"X-API-Key": create_build_token(build)}
    assert client.get(f"{P}/builds/{build.id}/", headers=headers).status_code == 200
    assert_error(client.get("/api/v3/projects/other/", headers=headers), 404, "not_found")
    assert_error(client.patch(f"{P}/", json={}, headers=headers), 403, "insufficient_scope")
    build.state = "finished"
    db.session.commit()
    assert_error(client.get(f"{P}/", headers=headers), 401, "auth_required")
    assert revoke_build_tokens(build.id) == 1
