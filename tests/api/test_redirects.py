"""/api/v3/projects/<p>/redirects/: representation, permissions, validation, positions, pagination."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Project, Redirect
from tests import factories
from tests.api.helpers import assert_error
from tests.golden import normalise

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "redirect.json"
CONTRACT_FIELDS = {
    "pk",
    "created",
    "modified",
    "project",
    "type",
    "from_url",
    "to_url",
    "force",
    "enabled",
    "description",
    "http_status",
    "position",
    "_links",
}
LIST = "/api/v3/projects/pip/redirects/"




def assert_sorted(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` checking that every object's keys come in alphabetical order."""
    keys = [key for key, _ in pairs]
    assert keys == sorted(keys)
    return dict(pairs)


def detail(pk: int, slug: str = "pip") -> str:
    return f"/api/v3/projects/{slug}/redirects/{pk}/"


def make(project: Any, count: int) -> list[Any]:
    return [factories.RedirectFactory(project=project, position=i) for i in range(count)]


def positions(project: Any) -> list[tuple[int, int]]:
    stmt = select(Redirect.id, Redirect.position).where(Redirect.project_id == project.id)
    return [(row.id, row.position) for row in db.session.execute(stmt.order_by(Redirect.position))]




# --- success paths -------------------------------------------------------------------------------------


def test_create_returns_201_with_the_redirect(client, project, headers):
    response = client.post(
        LIST, json={"type": "page", "from_url": "/a/", "to_url": "b.html"}, headers=headers
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == body["_links"]["_self"] == f"http://localhost{detail(body['pk'])}"
    assert (body["from_url"], body["to_url"], body["http_status"], body["position"]) == (
        "/a",
        "/b.html",
        302,
        0,
    )
    assert (body["force"], body["enabled"], body["description"]) == (False, True, "")


def test_detail_matches_golden(client, project, headers):
    created = client.post(
        LIST,
        headers=headers,
        json={
            "type": "page",
            "from_url": "/install.html",
            "to_url": "/getting-started/installation.html",
            "http_status": 301,
            "description": "Moved in 2.0",
            "unknown": "ignored",
        },
    ).json
    response = client.get(detail(created["pk"]))  # anonymous: the project is public
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    golden = json.loads(GOLDEN.read_text())
    assert set(golden) == CONTRACT_FIELDS
    assert normalise(response.json) == golden
    json.loads(response.get_data(as_text=True), object_pairs_hook=assert_sorted)  # as RTD serves them


def test_list_is_ordered_by_position_and_readable_anonymously(client, project):
    redirects = make(project, 3)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [r["pk"] for r in response.json["results"]] == [r.id for r in redirects]
    assert [r["position"] for r in response.json["results"]] == [0, 1, 2]


def test_pagination_links_are_absolute(client, project):
    make(project, 5)
    first = client.get(LIST + "?limit=2").json
    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["next"] == "http://localhost/api/v3/projects/pip/redirects/?limit=2&offset=2"
    assert first["previous"] is None
    last = client.get(LIST + "?limit=2&offset=4").json
    assert [r["position"] for r in last["results"]] == [4]
    assert last["next"] is None
    assert last["previous"] == "http://localhost/api/v3/projects/pip/redirects/?limit=2&offset=2"
    assert client.get(LIST + "?offset=50").json["results"] == []


def test_fields_and_omit(client, project):
    (redirect,) = make(project, 1)
    assert client.get(detail(redirect.id) + "?fields=pk,type").json == {"pk": redirect.id, "type": "page"}
    omitted = client.get(detail(redirect.id) + "?omit=_links,description").json
    assert set(omitted) == CONTRACT_FIELDS - {"_links", "description"}
    page = client.get(LIST + "?fields=pk&fields=_links._self").json
    assert page["count"] == 1
    assert page["results"] == [
        {"pk": redirect.id, "_links": {"_self": f"http://localhost{detail(redirect.id)}"}}
    ]
    assert client.get(LIST + "?fields=type.type").status_code == 400


def test_put_requires_type_and_keeps_fields_left_out(client, project, headers):
    (redirect,) = make(project, 1)
    missing = client.put(detail(redirect.id), json={"to_url": "/x.html"}, headers=headers)
    assert assert_error(missing, 400, "validation_error", "validation")["errors"] == {
        "type": ["Missing data for required field."]
    }
    response = client.put(
        detail(redirect.id), json={"type": "exact", "to_url": "/x.html", "force": True}, headers=headers
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["type"], body["to_url"], body["force"], body["from_url"]) == (
        "exact",
        "/x.html",
        True,
        redirect.from_url,
    )


def test_put_accepts_what_get_returned(client, project, headers):
    """A client may PUT back a GET body: the null URLs of the html types and read-only keys included."""
    created = client.post(LIST, json={"type": "clean_url_to_html"}, headers=headers).json
    assert (created["from_url"], created["to_url"]) == (None, None)
    response = client.put(detail(created["pk"]), json={**created, "enabled": False}, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["enabled"] is False and response.json["pk"] == created["pk"]


def test_patch_changes_only_what_is_given(client, project, headers):
    (redirect,) = make(project, 1)
    before = client.get(detail(redirect.id)).json
    response = client.patch(detail(redirect.id), json={"http_status": 301, "enabled": False}, headers=headers)
    assert response.status_code == 200, response.json
    after = response.json
    assert (after["http_status"], after["enabled"]) == (301, False)
    for key in ("type", "from_url", "to_url", "force", "description", "position", "created"):
        assert after[key] == before[key]


def test_patch_html_type_clears_urls(client, project, headers):
    (redirect,) = make(project, 1)
    response = client.patch(detail(redirect.id), json={"type": "html_to_clean_url"}, headers=headers)
    assert (response.json["from_url"], response.json["to_url"]) == (None, None)


def test_delete_returns_204_and_closes_the_gap(client, project, headers):
    first, second, third = make(project, 3)
    response = client.delete(detail(second.id), headers=headers)
    assert response.status_code == 204 and response.get_data() == b""
    assert positions(project) == [(first.id, 0), (third.id, 1)]
    assert client.get(detail(second.id)).status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, 0),
        ({"position": 1}, 1),
        ({"position": 3}, 3),
        ({"position": 999}, 3),
        ({"position": -5}, 0),
    ],
)
def test_create_inserts_at_position(client, project, headers, body, expected):
    existing = make(project, 3)
    created = client.post(
        LIST, json={"type": "page", "from_url": "/x", "to_url": "/y", **body}, headers=headers
    ).json
    assert created["position"] == expected
    order = [r.id for r in existing]
    order.insert(expected, created["pk"])
    assert positions(project) == [(pk, i) for i, pk in enumerate(order)]


@pytest.mark.parametrize(
    ("source", "target", "order"),
    [
        (3, 1, [0, 3, 1, 2]),
        (0, 3, [1, 2, 3, 0]),
        (2, 2, [0, 1, 2, 3]),
        (1, 99, [0, 2, 3, 1]),
    ],
)
def test_patch_position_moves_and_shifts_between(client, project, headers, source, target, order):
    redirects = make(project, 4)
    response = client.patch(detail(redirects[source].id), json={"position": target}, headers=headers)
    assert response.status_code == 200
    assert response.json["position"] == min(target, 3)
    assert positions(project) == [(redirects[i].id, n) for n, i in enumerate(order)]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("/docs/", "/docs"),
        ("docs", "/docs"),
        ("//docs//", "/docs"),
        ("/", "/"),
        ("  /a/b/  ", "/a/b"),
        ("/docs/*", "/docs/*"),
    ],
)
def test_from_url_is_normalised(client, project, headers, given, stored):
    response = client.post(
        LIST, json={"type": "exact", "from_url": given, "to_url": "/new/"}, headers=headers
    )
    assert response.json["from_url"] == stored


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("new.html", "/new.html"),
        ("//evil.example/x", "/evil.example/x"),
        ("https://example.com/x", "https://example.com/x"),
    ],
)
def test_to_url_never_points_at_another_host_unless_absolute(client, project, headers, given, stored):
    response = client.post(LIST, json={"type": "page", "from_url": "/a", "to_url": given}, headers=headers)
    assert response.json["to_url"] == stored


# --- errors --------------------------------------------------------------------------------------------


PAGE = {"type": "page", "from_url": "/a", "to_url": "/b"}


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"type": "prefix"}, "type", '"exact"'),
        ({"type": "sphinx_html"}, "type", '"clean_url_to_html"'),
        ({"type": "sphinx_htmldir"}, "type", '"html_to_clean_url"'),
        ({"type": "advanced"}, "type", "page, exact, clean_url_to_html, html_to_clean_url"),
        ({"from_url": "/a"}, "type", "Missing data"),
        ({**PAGE, "from_url": ""}, "from_url", "required"),
        ({**PAGE, "to_url": None}, "to_url", "required"),
        ({**PAGE, "type": "exact", "from_url": "/a/*/b"}, "from_url", "end of from_url"),
        ({**PAGE, "to_url": "/b/:splat"}, "to_url", ":splat"),
        ({**PAGE, "http_status": 303}, "http_status", "301 or 302"),
        ({**PAGE, "http_status": "permanent"}, "http_status", "Not a valid integer"),
        ({**PAGE, "position": "top"}, "position", "Not a valid integer"),
        ({**PAGE, "force": "maybe"}, "force", "Not a valid boolean"),
        ({**PAGE, "from_url": "/" + "a" * 255}, "from_url", "255"),
        ({**PAGE, "description": "d" * 256}, "description", "255"),
    ],
)
def test_create_validation(client, project, headers, body, field, fragment):
    response = client.post(LIST, json=body, headers=headers)
    errors = assert_error(response, 400, "validation_error", "validation")["errors"]
    assert field in errors and any(fragment in message for message in errors[field]), errors
    assert positions(project) == []


def test_validation_reports_every_field_at_once(client, project, headers):
    response = client.post(LIST, json={"type": "page", "http_status": 307}, headers=headers)
    assert set(assert_error(response, 400, "validation_error", "validation")["errors"]) == {
        "from_url",
        "to_url",
        "http_status",
    }


def test_splat_allowed_with_trailing_wildcard(client, project, headers):
    body = {"type": "exact", "from_url": "/en/old/*", "to_url": "/en/new/:splat"}
    assert client.post(LIST, json=body, headers=headers).status_code == 201


@pytest.mark.parametrize("kind", ["clean_url_to_html", "html_to_clean_url"])
def test_one_html_redirect_of_each_type(client, project, headers, kind):
    assert client.post(LIST, json={"type": kind}, headers=headers).status_code == 201
    duplicate = client.post(LIST, json={"type": kind}, headers=headers)
    assert kind in assert_error(duplicate, 400, "validation_error", "validation")["errors"]["type"][0]
    other = factories.RedirectFactory(project=project, position=1)
    changed = client.patch(detail(other.id), json={"type": kind}, headers=headers)
    assert assert_error(changed, 400, "validation_error", "validation")["errors"]["type"]
    assert client.get(detail(other.id)).json["type"] == "page"  # the failed update left it alone


def test_at_most_100_redirects(client, project, headers):
    last = make(project, 100)[-1]
    response = client.post(LIST, json=PAGE, headers=headers)
    body = assert_error(response, 400, "validation_error", "validation")
    assert "100" in body["detail"] and body["errors"]["non_field_errors"]
    assert len(positions(project)) == 100
    # the limit is on creating: the existing ones can still be edited and moved
    moved = client.patch(detail(last.id), json={"position": 0, "force": True}, headers=headers)
    assert moved.status_code == 200 and moved.json["position"] == 0


def test_anonymous_writes_get_401_before_any_validation(client, project):
    (redirect,) = make(project, 1)
    for response in (
        client.post(LIST, json={"type": "prefix"}),
        client.put(detail(redirect.id), json={}),
        client.patch(detail(redirect.id), json={"type": 3}),
        client.delete(detail(redirect.id)),
    ):
        assert_error(response, 401, "auth_required", "auth")
        assert response.headers["WWW-Authenticate"]


def test_non_maintainers_get_403(client, project, other_headers):
    (redirect,) = make(project, 1)
    for response in (
        client.post(LIST, json={"type": "prefix"}, headers=other_headers),
        client.patch(detail(redirect.id), json=PAGE, headers=other_headers),
        client.delete(detail(redirect.id), headers=other_headers),
    ):
        assert_error(response, 403, "permission_denied", "auth")
    assert client.get(detail(redirect.id), headers=other_headers).status_code == 200


def test_private_projects_are_invisible(client, user, headers, other_headers):
    private = factories.ProjectFactory(slug="secret", privacy_level="private", maintainers=[user])
    (redirect,) = make(private, 1)
    url = "/api/v3/projects/secret/redirects/"
    for response in (
        client.get(url),
        client.get(detail(redirect.id, "secret"), headers=other_headers),
        client.post(url, json=PAGE, headers=other_headers),
    ):
        assert_error(response, 404, "not_found", "not_found")
    assert client.get(url, headers=headers).json["count"] == 1


def test_unknown_project_and_redirect_give_404(client, project, headers):
    elsewhere = factories.RedirectFactory()  # another project's redirect is not reachable through this one
    assert_error(client.get("/api/v3/projects/nope/redirects/"), 404, "not_found", "not_found")
    for response in (
        client.get(detail(elsewhere.id)),
        client.patch(detail(elsewhere.id), json={}, headers=headers),
        client.delete(detail(12345), headers=headers),
    ):
        assert_error(response, 404, "not_found", "not_found")


def test_unsupported_method_is_405_after_auth(client, project, headers):
    (redirect,) = make(project, 1)
    assert_error(client.post(detail(redirect.id), json=PAGE), 401, "auth_required", "auth")
    response = client.post(detail(redirect.id), json=PAGE, headers=headers)
    assert_error(response, 405, "method_not_allowed", "validation")
    assert "PATCH" in response.headers["Allow"]


def test_list_query_count_does_not_grow_with_items(client, project, count_queries):
    make(project, 1)
    project_id = project.id  # count_queries() empties the identity map: keep the key, not the object
    client.get(LIST)  # warm-up: first-request work must not skew the comparison
    with count_queries() as one:
        assert len(client.get(LIST + "?limit=100").json["results"]) == 1
    project = db.session.get(Project, project_id)
    for position in range(1, 100):
        factories.RedirectFactory(project=project, position=position)
    with count_queries() as hundred:
        assert len(client.get(LIST + "?limit=100").json["results"]) == 100
    assert hundred.count == one.count, hundred.statements
