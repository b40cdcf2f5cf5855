"""Translations: /api/v3/projects/<project>/translations/ and the service rules that link them."""

from __future__ import annotations

from typing import Any

import pytest

from app.errors import ValidationError
from app.extensions import db
from app.languages import LANGUAGES
from app.services import translations as service
from tests import factories
from tests.api.helpers import assert_error

URL = "/api/v3/projects/pip/translations/"
#: The Project fields of the contract, in full: a translation is listed as a whole project.
PROJECT_KEYS = {
    "analytics_code",
    "analytics_disabled",
    "external_builds_enabled",
    "id",
    "name",
    "slug",
    "created",
    "modified",
    "language",
    "programming_language",
    "homepage",
    "repository",
    "default_version",
    "default_branch",
    "subproject_of",
    "translation_of",
    "urls",
    "tags",
    "privacy_level",
    "external_builds_privacy_level",
    "readthedocs_yaml_path",
    "versioning_scheme",
    "single_version",
    "users",
    "_links",
}




@pytest.fixture
def pip(user: Any) -> Any:
    return factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])


def translate(main: Any, user: Any, language: str, **kwargs: Any) -> Any:
    """A project in ``language`` linked to ``main`` through the service, as the rules require."""
    project = factories.ProjectFactory(
        name=f"{main.name} {language}", language=language, maintainers=[user], **kwargs
    )
    return service.set_translation(main, project)


def token_for(user: Any) -> dict[str, str]:
    return {"Authorization": f"Token {factories.make_token(user)}"}


# --- list -----------------------------------------------------------------------------------------


def test_list_shows_full_projects_ordered_by_slug_anonymously(client, user, pip):
    translate(pip, user, "fr")
    translate(pip, user, "es")
    factories.ProjectFactory(name="Unrelated", language="de")
    body = client.get(URL).json
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert [p["slug"] for p in body["results"]] == ["pip-es", "pip-fr"]
    spanish = body["results"][0]
    assert set(spanish) == PROJECT_KEYS
    assert spanish["language"] == {"code": "es", "name": LANGUAGES["es"]}
    assert spanish["translation_of"] == {
        "slug": "pip",
        "_links": {"_self": "http://localhost/api/v3/projects/pip/"},
    }
    assert spanish["_links"]["_self"] == "http://localhost/api/v3/projects/pip-es/"


def test_main_project_lists_none_after_unset(client, user, pip):
    spanish = translate(pip, user, "es")
    service.unset_translation(pip, spanish)
    assert client.get(URL).json["count"] == 0
    assert client.get("/api/v3/projects/pip-es/").json["translation_of"] is None


def test_list_paginates_with_absolute_links(client, user, pip):
    languages = [code for code in LANGUAGES if code != "en"][:25]
    for code in languages:
        translate(pip, user, code)
    first = client.get(URL).json
    assert first["count"] == 25 and len(first["results"]) == 10
    assert first["next"] == f"http://localhost{URL}?limit=10&offset=10"
    last = client.get(URL + "?limit=10&offset=20").json
    assert len(last["results"]) == 5 and last["next"] is None
    assert last["previous"] == f"http://localhost{URL}?limit=10&offset=10"
    assert client.get(URL + "?offset=99").json["results"] == []


def test_private_translations_are_filtered_in_the_query(client, user, pip, headers):
    translate(pip, user, "es")
    translate(pip, user, "fr", privacy_level="private")
    anonymous = client.get(URL + "?limit=1").json
    assert anonymous["count"] == 1 and anonymous["next"] is None  # filtered before paging, not after
    assert client.get(URL, headers=token_for(factories.UserFactory())).json["count"] == 1
    assert client.get(URL, headers=headers).json["count"] == 2
    assert client.get(URL, headers=token_for(factories.UserFactory(role="admin"))).json["count"] == 2


def test_private_or_unknown_main_project_is_not_found(client, user, headers):
    factories.ProjectFactory(name="Hidden", privacy_level="private", maintainers=[user])
    for slug in ("hidden", "nope"):
        body = assert_error(
            client.get(f"/api/v3/projects/{slug}/translations/"), 404, "not_found", "not_found"
        )
        assert body["detail"] == "No Project matches the given query."
    assert client.get("/api/v3/projects/hidden/translations/", headers=headers).status_code == 200


def test_fields_and_omit(client, user, pip):
    translate(pip, user, "es")
    assert client.get(URL + "?fields=slug,language.code").json["results"] == [
        {"slug": "pip-es", "language": {"code": "es"}}
    ]
    result = client.get(URL + "?omit=_links,urls,users").json["results"][0]
    assert set(result) == PROJECT_KEYS - {"_links", "urls", "users"}


def test_there_is_no_write_route(client, pip, headers):
    for method in ("post", "put", "patch", "delete"):
        body = assert_error(
            getattr(client, method)(URL, json={}, headers=headers), 405, "method_not_allowed", "validation"
        )
        assert body["detail"] == f'Method "{method.upper()}" not allowed.'
        assert_error(getattr(client, method)(URL, json={}), 401, "auth_required", "auth")


def test_invalid_token_is_a_401_even_on_a_public_list(client, pip):
    assert_error(client.get(URL, headers={"Authorization": "Token nope"}), 401, "auth_required", "auth")


@pytest.mark.parametrize("query", ["", "&expand=active_versions"])
def test_list_query_count_does_not_grow_with_items(client, user, headers, count_queries, query):
    small, big = (factories.ProjectFactory(name=n, maintainers=[user]) for n in ("Small", "Big"))
    translate(small, user, "es")
    for code in [c for c in LANGUAGES if c != "en"]:
        translate(big, user, code)
    client.get("/api/v3/projects/small/", headers=headers)  # a token's first use records ``last_used``
    counts = {}
    for main in ("small", "big"):
        with count_queries() as counter:
            body = client.get(f"/api/v3/projects/{main}/translations/?limit=100{query}", headers=headers).json
        counts[main] = counter
    assert len(body["results"]) == len(LANGUAGES) - 1
    assert ("active_versions" in body["results"][0]) == bool(query)
    assert counts["big"].count == counts["small"].count, counts["big"].statements


# --- the service rules ----------------------------------------------------------------------------


def assert_rejected(main: Any, translation: Any, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        service.set_translation(main, translation)
    assert list(caught.value.errors) == ["project"]
    assert fragment in caught.value.detail and fragment in caught.value.errors["project"][0]
    db.session.refresh(translation)
    assert translation.main_language_project_id != main.id


def test_set_translation_links_and_is_idempotent(user, pip):
    spanish = translate(pip, user, "es")
    assert spanish.main_language_project_id == pip.id
    assert service.set_translation(pip, spanish) is spanish


def test_a_project_cannot_translate_itself(pip):
    assert_rejected(pip, pip, "cannot be a translation of itself")


def test_a_translation_needs_another_language(user, pip):
    assert_rejected(pip, factories.ProjectFactory(name="Pip Copy", language="en"), "same language (en)")


def test_a_translation_cannot_have_translations(user, pip):
    spanish = translate(pip, user, "es")
    assert_rejected(
        spanish, factories.ProjectFactory(name="Deep", language="fr"), "'pip-es' is already a translation"
    )
    lonely = factories.ProjectFactory(name="Lonely", language="de")
    translate(lonely, user, "fr")
    assert_rejected(pip, lonely, "'lonely' has translations of its own")


def test_a_translation_belongs_to_one_main_project(user, pip):
    other = factories.ProjectFactory(name="Other")
    spanish = translate(other, user, "es")
    assert_rejected(pip, spanish, "already a translation of another project")


def test_one_translation_per_language(user, pip):
    translate(pip, user, "es")
    assert_rejected(
        pip, factories.ProjectFactory(name="Second Es", language="es"), "already has a translation for es"
    )


def test_a_subproject_cannot_be_a_translation(user, pip):
    child = factories.ProjectFactory(name="Child", language="es")
    factories.RelationshipFactory(parent=factories.ProjectFactory(name="Parent"), child=child)
    assert_rejected(pip, child, "a subproject cannot be a translation")


def test_unset_translation_requires_the_link(user, pip):
    stranger = factories.ProjectFactory(name="Stranger", language="es")
    with pytest.raises(ValidationError) as caught:
        service.unset_translation(pip, stranger)
    assert caught.value.errors == {"project": ["Project 'stranger' is not a translation of 'pip'."]}
