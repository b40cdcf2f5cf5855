"""/api/v3/projects/<p>/environmentvariables/: maintainers only, values write-only and encrypted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.crypto import decrypt
from app.extensions import db
from app.models import EnvironmentVariable, Project
from tests import factories
from tests.api.helpers import assert_error
from tests.golden import normalise

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "environment_variable.json"
CONTRACT_FIELDS = {"pk", "created", "modified", "name", "public", "project", "_links"}
LIST = "/api/v3/projects/pip/environmentvariables/"
SECRET = "s3cr3t-value-that-must-never-leak"




def detail(pk: int, slug: str = "pip") -> str:
    return f"/api/v3/projects/{slug}/environmentvariables/{pk}/"




def stored(pk: int) -> EnvironmentVariable:
    db.session.expire_all()
    return db.session.scalars(select(EnvironmentVariable).where(EnvironmentVariable.id == pk)).one()


# --- success paths -------------------------------------------------------------------------------------


def test_create_stores_the_value_encrypted_and_never_returns_it(client, project, headers):
    response = client.post(LIST, json={"name": "PYPI_TOKEN", "value": SECRET}, headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == CONTRACT_FIELDS and body["public"] is False
    assert response.headers["Location"] == body["_links"]["_self"] == f"http://localhost{detail(body['pk'])}"
    assert SECRET not in response.get_data(as_text=True)
    row = stored(body["pk"])
    assert row.value_encrypted != SECRET and SECRET not in row.value_encrypted
    assert decrypt(row.value_encrypted) == SECRET
    assert row.value_length == len(SECRET)


def test_detail_matches_golden(client, project, headers):
    pk = client.post(LIST, json={"name": "PYPI_TOKEN", "value": SECRET, "extra": 1}, headers=headers).json[
        "pk"
    ]
    response = client.get(detail(pk), headers=headers)
    assert response.status_code == 200
    golden = json.loads(GOLDEN.read_text())
    assert set(golden) == CONTRACT_FIELDS
    assert normalise(response.json) == golden


def test_the_value_appears_in_no_response(client, project, headers):
    """Every route, error bodies and ?fields=value included, keeps the clear value to itself."""
    pk = client.post(LIST, json={"name": "A", "value": SECRET, "public": True}, headers=headers).json["pk"]
    responses = [
        client.get(LIST, headers=headers),
        client.get(LIST + "?fields=value,name", headers=headers),
        client.get(detail(pk) + "?fields=value", headers=headers),
        client.post(LIST, json={"name": "A", "value": SECRET}, headers=headers),  # duplicate name
        client.post(LIST, json={"name": "B", "value": SECRET * 2000}, headers=headers),  # too long
        client.post(LIST, json={"name": "__B", "value": SECRET}, headers=headers),  # bad name
        client.put(detail(pk), json={"name": "A", "value": SECRET}, headers=headers),
        client.delete(detail(pk), headers=headers),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 400, 400, 400, 405, 204]
    for response in responses:
        assert SECRET not in response.get_data(as_text=True)
    for response in responses[:3]:
        assert "value" not in all_keys(response.json)


def all_keys(body: Any) -> set[str]:
    if isinstance(body, dict):
        return set(body).union(*(all_keys(v) for v in body.values()))
    if isinstance(body, list):
        return set().union(*(all_keys(v) for v in body))
    return set()


def test_list_pagination_fields_and_omit(client, project, headers):
    variables = [factories.EnvironmentVariableFactory(project=project, name=f"V{i}") for i in range(3)]
    first = client.get(LIST + "?limit=2", headers=headers).json
    assert first["count"] == 3 and [v["name"] for v in first["results"]] == ["V0", "V1"]
    assert first["next"] == "http://localhost/api/v3/projects/pip/environmentvariables/?limit=2&offset=2"
    assert first["previous"] is None
    second = client.get(LIST + "?limit=2&offset=2", headers=headers).json
    assert [v["pk"] for v in second["results"]] == [variables[2].id] and second["next"] is None
    assert second["previous"] == "http://localhost/api/v3/projects/pip/environmentvariables/?limit=2&offset=0"
    names = client.get(LIST + "?fields=name", headers=headers).json["results"]
    assert names == [{"name": "V0"}, {"name": "V1"}, {"name": "V2"}]
    omitted = client.get(detail(variables[0].id) + "?omit=_links,created,modified", headers=headers).json
    assert set(omitted) == {"pk", "name", "public", "project"}


def test_public_flag_is_kept(client, project, headers):
    body = client.post(LIST, json={"name": "PR_SAFE", "value": "x", "public": True}, headers=headers).json
    assert body["public"] is True and stored(body["pk"]).public is True


def test_delete_returns_204(client, project, headers):
    variable = factories.EnvironmentVariableFactory(project=project)
    response = client.delete(detail(variable.id), headers=headers)
    assert response.status_code == 204 and response.get_data() == b""
    assert_error(client.get(detail(variable.id), headers=headers), 404, "not_found", "not_found")


def test_a_name_can_be_reused_after_delete(client, project, headers):
    pk = client.post(LIST, json={"name": "TOKEN", "value": "old"}, headers=headers).json["pk"]
    client.delete(detail(pk), headers=headers)
    assert client.post(LIST, json={"name": "TOKEN", "value": "new"}, headers=headers).status_code == 201


# --- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"value": "x"}, "name", "Missing data"),
        ({"name": "A"}, "value", "Missing data"),
        ({"name": "", "value": "x"}, "name", "blank"),
        ({"name": "A", "value": ""}, "value", "blank"),
        ({"name": "MY-VAR", "value": "x"}, "name", "letters, digits and underscores"),
        ({"name": "MY VAR", "value": "x"}, "name", "letters, digits and underscores"),
        ({"name": "ÉTÉ", "value": "x"}, "name", "letters, digits and underscores"),
        ({"name": "__HIDDEN", "value": "x"}, "name", "__"),
        ({"name": "READTHEDOCS_VERSION", "value": "x"}, "name", "READTHEDOCS"),
        ({"name": "readthedocs_version", "value": "x"}, "name", "READTHEDOCS"),
        ({"name": "DOCSHELF_VERSION", "value": "x"}, "name", "DOCSHELF"),
        ({"name": "N" * 129, "value": "x"}, "name", "128"),
        ({"name": "A", "value": "v" * 48_001}, "value", "48000"),
        ({"name": "A", "value": 12}, "value", "Not a valid string"),
        ({"name": "A", "value": "x", "public": "perhaps"}, "public", "Not a valid boolean"),
    ],
)
def test_create_validation(client, project, headers, body, field, fragment):
    response = client.post(LIST, json=body, headers=headers)
    errors = assert_error(response, 400, "validation_error", "validation")["errors"]
    assert field in errors and any(fragment in message for message in errors[field]), errors
    assert client.get(LIST, headers=headers).json["count"] == 0


def test_limits_are_inclusive(client, project, headers):
    body = {"name": "N" * 128, "value": "v" * 48_000}
    assert client.post(LIST, json=body, headers=headers).status_code == 201


def test_duplicate_name_is_400_not_a_conflict(client, project, headers):
    factories.EnvironmentVariableFactory(project=project, name="TOKEN")
    factories.EnvironmentVariableFactory(name="OTHER_PROJECT_ONLY")
    response = client.post(LIST, json={"name": "TOKEN", "value": "x"}, headers=headers)
    assert "already" in assert_error(response, 400, "validation_error", "validation")["errors"]["name"][0]
    assert (
        client.post(LIST, json={"name": "OTHER_PROJECT_ONLY", "value": "x"}, headers=headers).status_code
        == 201
    )


def test_total_size_per_project_is_capped(client, project, headers):
    for i in range(5):
        factories.EnvironmentVariableFactory(project=project, name=f"BIG{i}", value_length=50_000)
    assert client.post(LIST, json={"name": "FITS", "value": "v" * 6_000}, headers=headers).status_code == 201
    response = client.post(LIST, json={"name": "TOO_MUCH", "value": "v"}, headers=headers)
    body = assert_error(response, 400, "validation_error", "validation")
    assert "256000" in body["errors"]["value"][0]


def test_anonymous_gets_401_everywhere(client, project):
    variable = factories.EnvironmentVariableFactory(project=project)
    for response in (
        client.get(LIST),
        client.get(detail(variable.id)),
        client.post(LIST, json={"name": "__"}),
        client.delete(detail(variable.id)),
        client.put(detail(variable.id), json={}),
        client.patch(detail(variable.id), json={}),
        client.get(LIST.replace("pip", "nope")),
    ):
        assert_error(response, 401, "auth_required", "auth")
        assert response.headers["WWW-Authenticate"]


def test_non_maintainers_get_403_even_for_reads(client, project, other_headers):
    variable = factories.EnvironmentVariableFactory(project=project)
    for response in (
        client.get(LIST, headers=other_headers),
        client.get(detail(variable.id), headers=other_headers),
        client.post(LIST, json={}, headers=other_headers),
        client.delete(detail(variable.id), headers=other_headers),
        client.put(detail(variable.id), json={}, headers=other_headers),
    ):
        assert_error(response, 403, "permission_denied", "auth")


def test_private_project_is_404_for_outsiders(client, user, headers, other_headers):
    private = factories.ProjectFactory(slug="secret", privacy_level="private", maintainers=[user])
    variable = factories.EnvironmentVariableFactory(project=private)
    url = "/api/v3/projects/secret/environmentvariables/"
    for response in (
        client.get(url, headers=other_headers),
        client.get(detail(variable.id, "secret"), headers=other_headers),
        client.post(url, json={"name": "A", "value": "x"}, headers=other_headers),
    ):
        assert_error(response, 404, "not_found", "not_found")
    assert client.get(url, headers=headers).json["count"] == 1


def test_unknown_project_or_variable_is_404(client, project, headers):
    elsewhere = factories.EnvironmentVariableFactory()
    assert_error(client.get(LIST.replace("pip", "nope"), headers=headers), 404, "not_found", "not_found")
    for response in (
        client.get(detail(elsewhere.id), headers=headers),
        client.delete(detail(elsewhere.id), headers=headers),
        client.get(detail(99999), headers=headers),
    ):
        assert_error(response, 404, "not_found", "not_found")
    assert stored(elsewhere.id) is not None


@pytest.mark.parametrize("method", ["put", "patch"])
def test_updates_are_405_for_maintainers(client, project, headers, method):
    variable = factories.EnvironmentVariableFactory(project=project)
    response = getattr(client, method)(detail(variable.id), json={"name": "X", "value": "y"}, headers=headers)
    assert_error(response, 405, "method_not_allowed", "validation")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "DELETE"}
    assert stored(variable.id).name == variable.name


def test_list_query_count_does_not_grow_with_items(client, project, headers, count_queries):
    factories.EnvironmentVariableFactory(project=project)
    project_id = project.id  # count_queries() empties the identity map: keep the key, not the object
    client.get(LIST, headers=headers)  # warm-up: token bookkeeping must not skew the comparison
    with count_queries() as one:
        assert len(client.get(LIST + "?limit=100", headers=headers).json["results"]) == 1
    factories.EnvironmentVariableFactory.create_batch(99, project=db.session.get(Project, project_id))
    with count_queries() as hundred:
        assert len(client.get(LIST + "?limit=100", headers=headers).json["results"]) == 100
    assert hundred.count == one.count, hundred.statements
