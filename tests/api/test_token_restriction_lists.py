"""A token restricted to some projects lists only what it may read, in nested lists too.

The subproject and translation lists filter their items in SQL; that filter once ignored the token's
project restriction, so a token restricted to one project saw the private projects linked to it.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.services.tokens import create_token
from tests import factories
from tests.api.helpers import assert_error


@pytest.fixture
def restricted(user: Any) -> dict[str, Any]:
    """The user maintains public ``pip`` and two private projects linked to it; the token covers pip only."""
    pip = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    child = factories.ProjectFactory(name="Secret Child", privacy_level="private", maintainers=[user])
    factories.RelationshipFactory(parent=pip, child=child, alias="child")
    french = factories.ProjectFactory(
        name="Secret French", language="fr", privacy_level="private", maintainers=[user]
    )
    french.main_language_project_id = pip.id
    db.session.commit()
    _token, key = create_token(user, "narrow", scopes=["projects:read"], project_ids=[pip.id])
    return {"headers": {"Authorization": f"Token {key}"}, "child": child, "french": french}


def test_the_restricted_token_cannot_read_the_private_projects_themselves(client, restricted):
    headers = restricted["headers"]
    assert client.get("/api/v3/projects/pip/", headers=headers).status_code == 200
    for project in (restricted["child"], restricted["french"]):
        response = client.get(f"/api/v3/projects/{project.slug}/", headers=headers)
        assert_error(response, 404, "not_found")


def test_subprojects_outside_the_restriction_are_not_listed(client, user, restricted):
    response = client.get("/api/v3/projects/pip/subprojects/", headers=restricted["headers"])
    assert response.status_code == 200, response.json
    assert response.json["count"] == 0 and response.json["results"] == []
    detail = client.get("/api/v3/projects/pip/subprojects/child/", headers=restricted["headers"])
    assert_error(detail, 404, "not_found")
    # The same user's unrestricted token still sees it: the filter is the restriction, not the user.
    full = {"Authorization": f"Token {factories.make_token(user)}"}
    listed = client.get("/api/v3/projects/pip/subprojects/", headers=full).json
    assert [item["child"]["slug"] for item in listed["results"]] == ["secret-child"]


def test_translations_outside_the_restriction_are_not_listed(client, user, restricted):
    response = client.get("/api/v3/projects/pip/translations/", headers=restricted["headers"])
    assert response.status_code == 200, response.json
    assert response.json["count"] == 0 and response.json["results"] == []
    full = {"Authorization": f"Token {factories.make_token(user)}"}
    listed = client.get("/api/v3/projects/pip/translations/", headers=full).json
    assert [item["slug"] for item in listed["results"]] == ["secret-french"]
