"""Read the Docs' project list filters and settings, version aliases, translations set through the project,
and who sees which projects in the list (administrators, shared projects)."""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.models import Project, ProjectReadGrant, User, Version
from tests import factories
from tests.api.helpers import assert_error, token_headers

LIST = "/api/v3/projects/"


def slugs(response: Any) -> list[str]:
    assert response.status_code == 200, response.json
    return [p["slug"] for p in response.json["results"]]


def test_name_and_slug_filters_match_any_case_and_take_wildcards_literally(client, headers, user, project):
    factories.ProjectFactory(name="Sphinx Theme", slug="sphinx-theme", maintainers=[user])
    factories.ProjectFactory(name="100% Docs", slug="docs-100", maintainers=[user])
    assert slugs(client.get(LIST + "?name=THEME", headers=headers)) == ["sphinx-theme"]
    assert slugs(client.get(LIST + "?slug=pi", headers=headers)) == ["pip"]
    assert slugs(client.get(LIST + "?name=%25", headers=headers)) == ["docs-100"]  # % is no wildcard
    assert slugs(client.get(LIST + "?name=_", headers=headers)) == []
    assert slugs(client.get(LIST + "?name=docs&slug=100", headers=headers)) == ["docs-100"]


def test_analytics_and_pull_request_settings_read_and_patch(client, headers, project):
    shown = client.get("/api/v3/projects/pip/", headers=headers)
    assert (shown.json["analytics_code"], shown.json["analytics_disabled"],
            shown.json["external_builds_enabled"]) == (None, False, False)
    etag = shown.headers["ETag"]
    body = {"analytics_code": "G-ABC123", "analytics_disabled": True, "external_builds_enabled": True}
    assert client.patch("/api/v3/projects/pip/", json=body, headers=headers).status_code == 204
    again = client.get("/api/v3/projects/pip/", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 200, "the ETag must change with the settings"
    assert {k: again.json[k] for k in body} == body
    cleared = client.patch("/api/v3/projects/pip/", json={"analytics_code": ""}, headers=headers)
    assert cleared.status_code == 204
    assert client.get("/api/v3/projects/pip/", headers=headers).json["analytics_code"] is None
    for bad in ({"analytics_code": "<script>"}, {"analytics_code": "G-" + "x" * 60},
                {"analytics_disabled": "maybe"}):
        refused = client.patch("/api/v3/projects/pip/", json=bad, headers=headers)
        assert_error(refused, 400, "validation_error")


@pytest.fixture
def versioned(project: Project) -> Project:
    """pip: ``latest`` follows branch main, ``stable`` follows tag 1.0; both real versions active."""
    latest = project.versions[0]
    latest.identifier = "main"
    factories.VersionFactory(project=project, slug="main", verbose_name="main", identifier="main", built=True)
    factories.VersionFactory(project=project, slug="1.0", verbose_name="1.0", identifier="abc", type="tag")
    factories.VersionFactory(project=project, slug="stable", verbose_name="stable", identifier="abc",
                             ref="1.0", type="tag", machine=True)
    db.session.commit()
    return project


def test_latest_and_stable_list_the_version_they_stand_for(client, headers, versioned):
    latest = client.get("/api/v3/projects/pip/versions/latest/", headers=headers).json
    (alias,) = latest["aliases"]
    assert alias["slug"] == "main" and alias["aliases"] == [] and alias["built"] is True
    assert alias["_links"]["_self"].endswith("/api/v3/projects/pip/versions/main/")
    listed = client.get("/api/v3/projects/pip/versions/", headers=headers).json["results"]
    aliases = {v["slug"]: [a["slug"] for a in v["aliases"]] for v in listed}
    assert aliases == {"latest": ["main"], "main": [], "1.0": [], "stable": ["1.0"]}


def test_an_alias_that_goes_inactive_or_private_is_no_longer_listed(client, headers, versioned):
    url = "/api/v3/projects/pip/versions/stable/"
    first = client.get(url, headers=headers)
    assert [a["slug"] for a in first.json["aliases"]] == ["1.0"]
    assert client.patch("/api/v3/projects/pip/versions/1.0/", json={"privacy_level": "private"},
                        headers=headers).status_code == 204
    changed = client.get(url, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["aliases"] == []  # a private one under a public one
    off = {"privacy_level": "public", "active": False}
    assert client.patch("/api/v3/projects/pip/versions/1.0/", json=off, headers=headers).status_code == 204
    assert client.get(url, headers=headers).json["aliases"] == []


def test_project_list_expanding_active_versions_shows_aliases_without_a_query_per_project(
        client, headers, user, versioned, count_queries):
    url = LIST + "?expand=active_versions"
    user_id = user.id
    for version in versioned.versions:
        version.built = True
    db.session.commit()
    client.get("/api/v3/", headers=headers)  # the token's first use records it: not the list's cost
    with count_queries() as one:
        embedded = client.get(url, headers=headers).json["results"][0]["active_versions"]
    assert {v["slug"]: [a["slug"] for a in v["aliases"]] for v in embedded}["stable"] == ["1.0"]
    user = db.session.get(User, user_id)
    for n in range(3):
        other = factories.ProjectFactory(name=f"More {n}", maintainers=[user])
        factories.VersionFactory(project=other, slug="stable", verbose_name="stable", identifier="x",
                                 ref="2.0", type="tag", machine=True, built=True)
    with count_queries() as many:
        assert client.get(url, headers=headers).json["count"] == 4
    assert many.count == one.count, many.statements


@pytest.fixture
def spanish(user: Any) -> Project:
    return factories.ProjectFactory(name="Pip ES", slug="pip-es", language="es", maintainers=[user])


def test_translation_of_links_and_unlinks(client, headers, project, spanish):
    response = client.patch("/api/v3/projects/pip-es/", json={"translation_of": "pip"}, headers=headers)
    assert response.status_code == 204, response.json
    shown = client.get("/api/v3/projects/pip-es/", headers=headers).json
    assert shown["translation_of"]["slug"] == "pip"
    assert [p["slug"] for p in client.get("/api/v3/projects/pip/translations/").json["results"]] == ["pip-es"]
    again = client.patch("/api/v3/projects/pip-es/", json={"translation_of": "pip"}, headers=headers)
    assert again.status_code == 204  # already so: no change
    assert client.patch("/api/v3/projects/pip-es/", json={"translation_of": None},
                        headers=headers).status_code == 204
    assert client.get("/api/v3/projects/pip-es/", headers=headers).json["translation_of"] is None
    assert client.get("/api/v3/projects/pip/translations/").json["count"] == 0


def test_translation_rules_refuse_same_language_chains_and_language_changes(client, headers, user, project,
                                                                             spanish):
    user = db.session.get(User, user.id)
    english = factories.ProjectFactory(name="Pip EN", slug="pip-en", language="en", maintainers=[user])
    same = client.patch("/api/v3/projects/pip-en/", json={"translation_of": "pip"}, headers=headers)
    body = assert_error(same, 400, "validation_error")
    assert "same language" in body["errors"]["translation_of"][0]
    linked = client.patch("/api/v3/projects/pip-es/", json={"translation_of": "pip"}, headers=headers)
    assert linked.status_code == 204
    french = factories.ProjectFactory(name="Pip FR", slug="pip-fr", language="fr", maintainers=[user])
    chain = client.patch("/api/v3/projects/pip-fr/", json={"translation_of": "pip-es"}, headers=headers)
    chained = assert_error(chain, 400, "validation_error")
    assert "already a translation" in chained["errors"]["translation_of"][0]
    has_own = client.patch("/api/v3/projects/pip/", json={"translation_of": "pip-fr"}, headers=headers)
    assert_error(has_own, 400, "validation_error")
    # a translation may not take its main project's language, nor a main project its translation's
    assert_error(client.patch("/api/v3/projects/pip-es/", json={"language": "en"}, headers=headers), 400,
                 "validation_error")
    assert_error(client.patch("/api/v3/projects/pip/", json={"language": "es"}, headers=headers), 400,
                 "validation_error")
    # a new language and the link in one request: judged in the new language
    both = client.patch("/api/v3/projects/pip-en/", json={"language": "de", "translation_of": "pip"},
                        headers=headers)
    assert both.status_code == 204, both.json
    assert db.session.get(Project, english.id).main_language_project_id == project.id
    assert db.session.get(Project, french.id).main_language_project_id is None


def test_linking_needs_both_projects_and_hides_what_you_cannot_read(client, headers, project, spanish):
    mallory = factories.UserFactory(username="mallory")
    theirs = factories.ProjectFactory(name="Theirs", slug="theirs", language="de", maintainers=[mallory])
    hidden = factories.ProjectFactory(name="Hidden", slug="hidden", privacy_level="private",
                                      maintainers=[mallory])
    # Attaching your project to somebody else's would put it into their translations list: refused.
    refused = client.patch("/api/v3/projects/pip-es/", json={"translation_of": "theirs"}, headers=headers)
    assert_error(refused, 403, "permission_denied")
    unseen = client.patch("/api/v3/projects/pip-es/", json={"translation_of": "hidden"}, headers=headers)
    # a private project you cannot read is answered like a missing one
    unseen_errors = assert_error(unseen, 400, "validation_error")["errors"]
    assert unseen_errors == {"translation_of": ["No project 'hidden'."]}
    missing = client.patch("/api/v3/projects/pip-es/", json={"translation_of": "nope"}, headers=headers)
    missing_errors = assert_error(missing, 400, "validation_error")["errors"]
    assert missing_errors == {"translation_of": ["No project 'nope'."]}
    # and mallory cannot make our project a translation of hers through hers
    assert_error(client.patch("/api/v3/projects/pip/", json={"translation_of": "theirs"},
                              headers=token_headers(mallory)), 403, "permission_denied")
    assert db.session.get(Project, spanish.id).main_language_project_id is None
    assert db.session.get(Project, theirs.id).main_language_project_id is None
    assert db.session.get(Project, hidden.id).main_language_project_id is None


def test_an_administrator_lists_every_project_and_filters_their_own(client, user, project):
    admin = factories.UserFactory(username="root", role="admin")
    own = factories.ProjectFactory(name="Root Docs", slug="root-docs", maintainers=[admin])
    factories.ProjectFactory(name="Secret", slug="secret", privacy_level="private",
                             maintainers=[db.session.get(User, user.id)])
    headers = token_headers(admin)
    assert slugs(client.get(LIST, headers=headers)) == ["pip", "root-docs", "secret"]
    assert slugs(client.get(LIST + "?mine=true", headers=headers)) == [own.slug]
    assert slugs(client.get(LIST + "?mine=false&slug=sec", headers=headers)) == ["secret"]


def test_shared_lists_the_projects_granted_to_you_and_nothing_else(client, headers, user, project):
    bob = factories.UserFactory(username="bob")
    shared = factories.ProjectFactory(name="Bob Private", slug="bob-private", privacy_level="private",
                                      maintainers=[bob])
    factories.ProjectFactory(name="Bob Other", slug="bob-other", privacy_level="private", maintainers=[bob])
    db.session.add(ProjectReadGrant(project_id=shared.id, user_id=user.id))
    db.session.commit()
    assert slugs(client.get(LIST, headers=headers)) == ["pip"]  # Read the Docs' answer is unchanged
    assert slugs(client.get(LIST + "?shared=true", headers=headers)) == ["bob-private"]
    # the grant lets alice read it, and never the other one
    assert client.get("/api/v3/projects/bob-private/", headers=headers).status_code == 200
    assert_error(client.get("/api/v3/projects/bob-other/", headers=headers), 404, "not_found")
    # a token restricted to pip does not widen itself through ?shared
    from app.services.tokens import create_token

    _token, key = create_token(db.session.get(User, user.id), "narrow", scopes=["projects:read"],
                               project_ids=[project.id])
    narrow = {"Authorization": f"Token {key}"}
    assert slugs(client.get(LIST + "?shared=true", headers=narrow)) == []
    assert_error(client.get(LIST + "?shared=maybe", headers=headers), 400, "validation_error")


def test_a_version_query_for_aliases_is_not_per_item(client, headers, versioned, count_queries):
    url = "/api/v3/projects/pip/versions/"
    project_id = versioned.id
    client.get("/api/v3/", headers=headers)  # the token's first use records it: not the list's cost
    with count_queries() as few:
        assert client.get(url, headers=headers).json["count"] == 4
    for n in range(6):
        factories.VersionFactory(project=db.session.get(Project, project_id), slug=f"b{n}",
                                 verbose_name=f"b{n}")
    with count_queries() as many:
        assert client.get(url, headers=headers).json["count"] == 10
    assert many.count == few.count, many.statements
    assert db.session.scalar(db.select(db.func.count(Version.id))) == 10


def test_the_main_projects_maintainers_remove_a_translation_from_their_side(client, headers, user, project):
    bob = factories.UserFactory(username="bob")
    german = factories.ProjectFactory(name="Pip DE", slug="pip-de", language="de",
                                      maintainers=[db.session.get(User, user.id), bob])
    linked = client.patch("/api/v3/projects/pip-de/", json={"translation_of": "pip"}, headers=headers)
    assert linked.status_code == 204
    shown = client.get("/api/v3/projects/pip/translations/pip-de/")
    assert shown.status_code == 200 and shown.json["translation_of"]["slug"] == "pip"
    assert_error(client.get("/api/v3/projects/pip/translations/pip/"), 404, "not_found")
    # bob maintains the translation, not the main project: not his to remove from there
    assert_error(client.delete("/api/v3/projects/pip/translations/pip-de/", headers=token_headers(bob)), 403,
                 "permission_denied")
    assert_error(client.delete("/api/v3/projects/pip/translations/pip-de/"), 401, "auth_required")
    url = "/api/v3/projects/pip/translations/pip-de/"
    assert client.delete(url, headers=headers).status_code == 204
    assert db.session.get(Project, german.id).main_language_project_id is None
    assert_error(client.delete(url, headers=headers), 404, "not_found")
