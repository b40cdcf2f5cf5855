"""Each role against each route family, on a private and on a public project.

Roles: admin (everything, across owners), a user who maintains the project, a user who does not,
a viewer the project is shared with (read grant), a viewer it is not shared with, and anonymous.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import ProjectReadGrant
from tests import factories
from tests.api.helpers import token_headers

P = "/api/v3/projects/pip"
#: family → (method, path, body, success status)
FAMILIES = {
    "read": ("get", f"{P}/", None, 200),
    "write": ("patch", f"{P}/", {"tags": ["x"]}, 204),
    "trigger": ("post", f"{P}/versions/latest/builds/", {}, 202),
    "redirects": ("post", f"{P}/redirects/", {"type": "page", "from_url": "/a", "to_url": "/b"}, 201),
    "envvars-read": ("get", f"{P}/environmentvariables/", None, 200),
    "envvars-write": ("post", f"{P}/environmentvariables/", {"name": "FOO", "value": "bar"}, 201),
    "delete": ("delete", f"{P}/", None, 204),
}
OK = "ok"
#: role → family → expected status on a PRIVATE project (OK = the family's success status)
PRIVATE = {
    "admin": dict.fromkeys(FAMILIES, OK),
    "maintainer": dict.fromkeys(FAMILIES, OK),
    "other-user": dict.fromkeys(FAMILIES, 404),
    "granted-viewer": {**dict.fromkeys(FAMILIES, 403), "read": OK},
    "viewer": dict.fromkeys(FAMILIES, 404),
    "anonymous": {**dict.fromkeys(FAMILIES, 401), "read": 404},
}
#: on a PUBLIC project, strangers see it and are refused writes with 403
PUBLIC = {
    "admin": dict.fromkeys(FAMILIES, OK),
    "maintainer": dict.fromkeys(FAMILIES, OK),
    "other-user": {**dict.fromkeys(FAMILIES, 403), "read": OK},
    "granted-viewer": {**dict.fromkeys(FAMILIES, 403), "read": OK},
    "viewer": {**dict.fromkeys(FAMILIES, 403), "read": OK},
    "anonymous": {**dict.fromkeys(FAMILIES, 401), "read": OK},
}


def _setup(role: str, privacy: str) -> dict[str, str]:
    maintainer = factories.UserFactory(username="maint")
    project = factories.ProjectFactory(name="Pip", privacy_level=privacy, maintainers=[maintainer])
    if role == "anonymous":
        return {}
    user = {
        "admin": lambda: factories.UserFactory(role="admin"),
        "maintainer": lambda: maintainer,
        "other-user": lambda: factories.UserFactory(),
        "granted-viewer": lambda: factories.UserFactory(role="viewer"),
        "viewer": lambda: factories.UserFactory(role="viewer"),
    }[role]()
    if role == "granted-viewer":
        db.session.add(ProjectReadGrant(project_id=project.id, user_id=user.id))
        db.session.commit()
    return token_headers(user)


@pytest.mark.parametrize("privacy,table", [("private", PRIVATE), ("public", PUBLIC)])
@pytest.mark.parametrize("role", list(PRIVATE))
def test_role_against_every_route_family(client, role, privacy, table):
    headers = _setup(role, privacy)
    for family, (method, path, body, success) in FAMILIES.items():
        expected = table[role][family]
        expected = success if expected == OK else expected
        kwargs = {"headers": headers} if body is None else {"headers": headers, "json": body}
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == expected, (role, privacy, family, response.get_data(as_text=True))
        if expected >= 400:
            assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_viewer_cannot_import_a_project(client):
    viewer = factories.UserFactory(role="viewer")
    body = {"name": "Mine", "repository": {"url": "https://github.com/a/b"}}
    response = client.post("/api/v3/projects/", json=body, headers=token_headers(viewer))
    assert response.status_code == 403 and response.json["code"] == "permission_denied"


def test_a_viewer_who_maintains_still_cannot_write(client):
    viewer = factories.UserFactory(role="viewer")
    factories.ProjectFactory(name="Pip", maintainers=[viewer])
    response = client.patch(f"{P}/", json={"tags": []}, headers=token_headers(viewer))
    assert response.status_code == 403


def test_grant_shows_private_versions(client):
    owner, viewer = factories.UserFactory(), factories.UserFactory(role="viewer")
    project = factories.ProjectFactory(name="Pip", maintainers=[owner])
    factories.VersionFactory(project=project, slug="secret", privacy_level="private")
    headers = token_headers(viewer)
    assert client.get(f"{P}/versions/secret/", headers=headers).status_code == 404
    db.session.add(ProjectReadGrant(project_id=project.id, user_id=viewer.id))
    db.session.commit()
    assert client.get(f"{P}/versions/secret/", headers=headers).status_code == 200
