"""Subprojects: /api/v3/projects/<project>/subprojects/ and the project fields that reflect them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.policy import Principal
from app.services import subprojects as service
from app.services import translations as translation_service
from tests import factories
from tests.api.helpers import assert_error
from tests.golden import normalise

GOLDEN = Path(__file__).parent.parent / "golden"
URL = "/api/v3/projects/pip/subprojects/"






def assert_invalid(response: Any, field: str, fragment: str) -> None:
    """A 400 whose field error (nested like the input) and ``detail`` both carry the message."""
    body = assert_error(response, 400, "validation_error", "validation")
    assert list(body["errors"]) == [field]
    assert fragment in body["errors"][field][0], body
    assert fragment in body["detail"]


@pytest.fixture
def pip(user: Any) -> Any:
    return factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])


def child_of(user: Any, name: str, **kwargs: Any) -> Any:
    return factories.ProjectFactory(name=name, maintainers=[user], **kwargs)


def link(parent: Any, child: Any, alias: str | None = None) -> Any:
    return factories.RelationshipFactory(parent=parent, child=child, alias=alias or child.slug)


def post(client: FlaskClient, headers: dict[str, str], body: Any, url: str = URL) -> Any:
    return client.post(url, json=body, headers=headers)


# --- read -----------------------------------------------------------------------------------------


def test_detail_matches_golden(client, user, pip):
    link(pip, child_of(user, "Pip Docs", tags=["docs"]), alias="docs")
    response = client.get(URL + "docs/")  # anonymous: the parent is public
    assert response.status_code == 200, response.json
    assert normalise(response.json) == json.loads((GOLDEN / "subproject.json").read_text())


def test_list_is_ordered_by_alias_and_anonymous(client, user, pip):
    link(pip, child_of(user, "Zeta"), alias="b")
    link(pip, child_of(user, "Alpha"), alias="a")
    body = client.get(URL).json
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert [(r["alias"], r["child"]["slug"]) for r in body["results"]] == [("a", "alpha"), ("b", "zeta")]
    assert "subproject_of" not in body["results"][0]["child"]


def test_list_paginates_with_absolute_links(client, user, pip):
    for n in range(25):
        link(pip, child_of(user, f"Child {n:02d}"))
    first = client.get(URL).json
    assert first["count"] == 25 and len(first["results"]) == 10
    assert first["next"] == f"http://localhost{URL}?limit=10&offset=10"
    last = client.get(URL + "?limit=10&offset=20").json
    assert [r["alias"] for r in last["results"]] == [f"child-{n}" for n in range(20, 25)]
    assert last["next"] is None and last["previous"] == f"http://localhost{URL}?limit=10&offset=10"
    assert client.get(URL + "?offset=100").json["results"] == []


def test_private_children_are_visible_only_to_who_can_read_them(client, user, pip, headers):
    link(pip, child_of(user, "Public"))
    link(pip, child_of(user, "Secret", privacy_level="private"))
    assert [r["alias"] for r in client.get(URL).json["results"]] == ["public"]
    outsider = {"Authorization": f"Token {factories.make_token(factories.UserFactory())}"}
    assert client.get(URL, headers=outsider).json["count"] == 1
    assert assert_error(client.get(URL + "secret/"), 404, "not_found", "not_found")
    assert client.get(URL, headers=headers).json["count"] == 2
    assert client.get(URL + "secret/", headers=headers).status_code == 200


def test_private_or_unknown_parent_is_not_found(client, user, headers):
    factories.ProjectFactory(name="Hidden", privacy_level="private", maintainers=[user])
    for url in (
        "/api/v3/projects/hidden/subprojects/",
        "/api/v3/projects/nope/subprojects/",
        "/api/v3/projects/hidden/subprojects/x/",
    ):
        assert_error(client.get(url), 404, "not_found", "not_found")
    assert client.get("/api/v3/projects/hidden/subprojects/", headers=headers).status_code == 200


def test_unknown_alias_is_not_found(client, pip):
    body = assert_error(client.get(URL + "nope/"), 404, "not_found", "not_found")
    assert "ProjectRelationship" in body["detail"]


def test_fields_and_omit_reach_into_the_child(client, user, pip):
    link(pip, child_of(user, "Pip Docs"), alias="docs")
    assert client.get(URL + "docs/?fields=alias,child.slug").json == {
        "alias": "docs",
        "child": {"slug": "pip-docs"},
    }
    detail = client.get(URL + "docs/?omit=child,_links.parent").json
    assert detail == {"alias": "docs", "_links": {"_self": f"http://localhost{URL}docs/"}}
    page = client.get(URL + "?fields=child.name&fields=alias").json
    assert page["results"] == [{"alias": "docs", "child": {"name": "Pip Docs"}}]


# --- create ---------------------------------------------------------------------------------------


def test_create_links_the_child_and_shows_it_everywhere(client, user, pip, headers):
    child_of(user, "Pip Docs")
    response = post(client, headers, {"child": "pip-docs", "alias": "docs"})
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"http://localhost{URL}docs/"
    assert response.json["alias"] == "docs" and response.json["child"]["slug"] == "pip-docs"
    assert response.json["_links"] == {
        "_self": f"http://localhost{URL}docs/",
        "parent": "http://localhost/api/v3/projects/pip/",
    }
    child = client.get("/api/v3/projects/pip-docs/").json
    assert child["subproject_of"] == {
        "slug": "pip",
        "_links": {"_self": "http://localhost/api/v3/projects/pip/"},
    }
    superproject = client.get("/api/v3/projects/pip-docs/superproject/")
    assert superproject.status_code == 200 and superproject.json["slug"] == "pip"
    assert client.get(URL + "docs/").json["child"]["slug"] == "pip-docs"


@pytest.mark.parametrize(
    "body", [{"child": "pip-docs"}, {"child": "pip-docs", "alias": ""}, {"child": "pip-docs", "alias": None}]
)
def test_alias_defaults_to_the_child_slug(client, user, pip, headers, body):
    child_of(user, "Pip Docs")
    response = post(client, headers, body)
    assert response.status_code == 201, response.json
    assert response.json["alias"] == "pip-docs"


def test_admin_may_link_projects_they_do_not_maintain(client, pip):
    factories.ProjectFactory(name="Theirs", privacy_level="private")
    admin = {"Authorization": f"Token {factories.make_token(factories.UserFactory(role='admin'))}"}
    assert post(client, admin, {"child": "theirs"}).status_code == 201


def test_create_requires_authentication_before_validating_the_body(client, pip):
    for body in ({"child": "whatever"}, {}):
        response = post(client, {}, body)
        assert_error(response, 401, "auth_required", "auth")
        assert response.headers["WWW-Authenticate"]


def test_create_needs_a_maintainer_of_the_parent(client, pip):
    outsider = factories.UserFactory()
    child_of(outsider, "Mine")
    headers = {"Authorization": f"Token {factories.make_token(outsider)}"}
    for body in ({"child": "mine"}, {"alias": "!"}):
        assert_error(post(client, headers, body), 403, "permission_denied", "auth")


def test_create_on_a_missing_or_invisible_parent_is_not_found(client, headers):
    factories.ProjectFactory(name="Hidden", privacy_level="private")
    for slug in ("nope", "hidden"):
        response = post(client, headers, {"child": "x"}, f"/api/v3/projects/{slug}/subprojects/")
        assert_error(response, 404, "not_found", "not_found")


def test_child_is_required(client, pip, headers):
    assert_invalid(post(client, headers, {"alias": "x"}), "child", "Missing data for required field.")


def test_child_must_exist_and_be_visible(client, user, pip, headers):
    factories.ProjectFactory(name="Secret", privacy_level="private")  # not the user's: must look missing
    for slug in ("nope", "secret"):
        assert_invalid(
            post(client, headers, {"child": slug}), "child", f"Project with slug '{slug}' does not exist."
        )


def test_child_must_be_maintained_by_the_user(client, pip, headers):
    factories.ProjectFactory(name="Theirs")
    assert_invalid(
        post(client, headers, {"child": "theirs"}), "child", "You must be a maintainer of project 'theirs'"
    )


def test_project_cannot_be_its_own_subproject(client, pip, headers):
    assert_invalid(post(client, headers, {"child": "pip"}), "child", "cannot be a subproject of itself")


def test_child_cannot_already_be_a_subproject(client, user, pip, headers):
    link(child_of(user, "Other Parent"), child_of(user, "Pip Docs"))
    assert_invalid(
        post(client, headers, {"child": "pip-docs"}),
        "child",
        "Project 'pip-docs' is already a subproject of 'other-parent'.",
    )


def test_parent_cannot_be_a_subproject(client, user, pip, headers):
    link(child_of(user, "Grandparent"), pip)
    child_of(user, "Pip Docs")
    assert_invalid(
        post(client, headers, {"child": "pip-docs"}), "non_field_errors", "nesting is not supported"
    )


def test_child_cannot_have_subprojects(client, user, pip, headers):
    link(child_of(user, "Pip Docs"), child_of(user, "Grandchild"))
    assert_invalid(post(client, headers, {"child": "pip-docs"}), "child", "has subprojects of its own")


def test_translation_cannot_be_a_subproject(client, user, pip, headers):
    main = child_of(user, "Main")
    translation_service.set_translation(main, child_of(user, "Main Es", language="es"))
    assert_invalid(
        post(client, headers, {"child": "main-es"}), "child", "a translation cannot be a subproject"
    )


@pytest.mark.parametrize("alias", ["with space", "slash/", "ü", "x" * 256])
def test_alias_must_be_slug_like(client, user, pip, headers, alias):
    child_of(user, "Pip Docs")
    body = assert_error(
        post(client, headers, {"child": "pip-docs", "alias": alias}), 400, "validation_error", "validation"
    )
    assert list(body["errors"]) == ["alias"] and body["detail"].startswith("alias: ")


def test_alias_is_unique_per_parent(client, user, pip, headers):
    link(pip, child_of(user, "First"), alias="docs")
    child_of(user, "Second")
    assert_invalid(
        post(client, headers, {"child": "second", "alias": "docs"}), "alias", "alias already exists"
    )
    other = child_of(user, "Other Parent")
    assert (
        post(
            client,
            headers,
            {"child": "second", "alias": "docs"},
            f"/api/v3/projects/{other.slug}/subprojects/",
        ).status_code
        == 201
    )


def test_lost_race_on_the_alias_is_a_400_not_a_500(client, user, pip, headers, monkeypatch):
    link(pip, child_of(user, "First"), alias="docs")
    child_of(user, "Second")
    monkeypatch.setattr(
        service, "_alias_taken", lambda parent, alias: False
    )  # the check ran before the winner
    assert_invalid(
        post(client, headers, {"child": "second", "alias": "docs"}), "alias", "alias already exists"
    )


def test_lost_race_on_the_child_is_a_400_not_a_500(client, user, pip, headers, monkeypatch):
    link(child_of(user, "Other Parent"), child_of(user, "Pip Docs"))
    monkeypatch.setattr(service, "_check_nesting", lambda parent, child: None)
    assert_invalid(post(client, headers, {"child": "pip-docs"}), "child", "is already a subproject")


# --- delete and other methods -----------------------------------------------------------------------


def test_delete_unlinks_and_keeps_both_projects(client, user, pip, headers):
    link(pip, child_of(user, "Pip Docs"), alias="docs")
    response = client.delete(URL + "docs/", headers=headers)
    assert response.status_code == 204 and response.get_data() == b""
    assert_error(client.get(URL + "docs/"), 404, "not_found", "not_found")
    assert client.get("/api/v3/projects/pip-docs/").json["subproject_of"] is None
    assert_error(client.get("/api/v3/projects/pip-docs/superproject/"), 404, "not_found", "not_found")


def test_delete_of_a_private_child_by_the_parent_maintainer(client, user, pip, headers):
    link(pip, factories.ProjectFactory(name="Theirs", privacy_level="private"))
    assert client.delete(URL + "theirs/", headers=headers).status_code == 204


def test_delete_errors_in_read_the_docs_order(client, user, pip, headers):
    link(pip, child_of(user, "Pip Docs"))
    outsider = {"Authorization": f"Token {factories.make_token(factories.UserFactory())}"}
    assert_error(client.delete(URL + "pip-docs/"), 401, "auth_required", "auth")
    assert_error(client.delete(URL + "nope/"), 401, "auth_required", "auth")
    assert_error(client.delete(URL + "pip-docs/", headers=outsider), 403, "permission_denied", "auth")
    assert_error(client.delete(URL + "nope/", headers=headers), 404, "not_found", "not_found")
    assert_error(
        client.delete("/api/v3/projects/nope/subprojects/x/", headers=headers), 404, "not_found", "not_found"
    )


def test_other_methods_are_not_allowed_after_auth_checks(client, user, pip, headers):
    link(pip, child_of(user, "Pip Docs"))
    for method, url in (("put", URL + "pip-docs/"), ("patch", URL + "pip-docs/"), ("put", URL)):
        response = getattr(client, method)(url, json={}, headers=headers)
        body = assert_error(response, 405, "method_not_allowed", "validation")
        assert method.upper() in body["detail"] and "GET" in response.headers["Allow"]
        assert_error(getattr(client, method)(url, json={}), 401, "auth_required", "auth")


# --- queries ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "&expand=child.active_versions.last_build"])
def test_list_query_count_does_not_grow_with_items(client, user, headers, count_queries, query):
    small, big = child_of(user, "Small"), child_of(user, "Big")
    link(small, child_of(user, "Only Child"))
    for n in range(100):
        link(big, child_of(user, f"Child {n:03d}"))
    client.get("/api/v3/projects/small/", headers=headers)  # a token's first use records ``last_used``
    counts = {}
    for parent in ("small", "big"):
        with count_queries() as counter:
            body = client.get(
                f"/api/v3/projects/{parent}/subprojects/?limit=100{query}", headers=headers
            ).json
        counts[parent] = counter
    assert len(body["results"]) == 100
    assert ("active_versions" in body["results"][0]["child"]) == bool(query)
    assert counts["big"].count == counts["small"].count, counts["big"].statements


def test_service_readable_by_admin_sees_everything(user, pip):
    link(pip, factories.ProjectFactory(name="Theirs", privacy_level="private"))
    admin = Principal.for_user(factories.UserFactory(role="admin"))
    assert len(db.session.scalars(service.subprojects_query(pip, admin)).all()) == 1
    assert db.session.scalars(service.subprojects_query(pip, None)).all() == []


def test_private_child_shared_with_a_user_is_listed_for_them(client, user):
    from app.models.security import ProjectReadGrant

    parent = factories.ProjectFactory(name="Parent")
    child = factories.ProjectFactory(name="Hidden Child", privacy_level="private")
    factories.RelationshipFactory(parent=parent, child=child, alias="hidden")
    reader = factories.UserFactory(username="reader", role="viewer")
    db.session.add(ProjectReadGrant(project_id=child.id, user_id=reader.id))
    db.session.commit()
    headers = {"Authorization": f"Token {factories.make_token(reader)}"}
    assert client.get("/api/v3/projects/parent/subprojects/").json["count"] == 0
    assert [s["alias"] for s in client.get("/api/v3/projects/parent/subprojects/", headers=headers).json[
        "results"]] == ["hidden"]
