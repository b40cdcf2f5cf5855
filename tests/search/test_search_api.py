"""GET /api/v3/search/ over real Sphinx and MkDocs builds: hits, highlights, ranking, scope, privacy."""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from tests import factories
from tests.search.conftest import Indexed

URL = "/api/v3/search/"


def search(client: Any, q: str, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    response = client.get(URL, query_string={"q": q, **params}, headers=headers or {})
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def owner_headers(indexed: Indexed) -> dict[str, str]:
    return {"Authorization": f"Token {factories.make_token(indexed.owner)}"}


def pages(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (r["project"]["slug"], r["version"]["slug"], r["path"].rsplit("/", 1)[-1]) for r in body["results"]
    ]


def test_a_section_hit_lands_on_its_anchor_with_highlights(client: Any, indexed: Indexed) -> None:
    body = search(client, "project:shelf-search shelfsearch")
    assert body["count"] == 1 and body["query"] == "shelfsearch"
    assert body["projects"] == [{"slug": "shelf-search", "versions": [{"slug": "latest"}]}]
    (result,) = body["results"]
    assert result["type"] == "page" and result["title"] == "Shelf Search"
    assert result["project"] == {"slug": "shelf-search", "alias": None} and result["version"] == {
        "slug": "latest"
    }
    assert result["domain"] == "http://docs.localhost"
    assert result["path"] == "/docs/shelf-search/en/latest/index.html"
    (block,) = result["blocks"]
    assert block["type"] == "section" and block["id"] == "installation" and block["title"] == "Installation"
    assert block["highlights"]["title"] == []
    assert "<span>shelfsearch</span>" in block["highlights"]["content"][0]
    # The block's anchor exists on the served page.
    page = client.get(result["path"])
    assert page.status_code == 200 and b'id="installation"' in page.data


def test_api_objects_are_blocks_of_their_own(client: Any, indexed: Indexed) -> None:
    body = search(client, "project:shelf-search frobnicate")
    (result,) = body["results"]
    assert result["path"].endswith("/api.html") and result["title"] == "API reference"
    function = next(b for b in result["blocks"] if b["id"] == "shelfmod.frobnicate")
    assert function["type"] == "domain" and function["role"] == "py:function"
    assert function["name"].startswith("shelfmod.frobnicate(")
    assert function["highlights"]["name"] == ["shelfmod.<span>frobnicate</span>(widget, speed=2)"]
    (content,) = function["highlights"]["content"]
    assert content.startswith("<span>Frobnicate</span> the widget at the given speed")
    method = search(client, "project:shelf-search axle")["results"][0]["blocks"][0]
    assert (method["id"], method["role"]) == ("shelfmod.Widget.spin", "py:method")


def test_a_title_match_beats_a_body_match(client: Any, indexed: Indexed) -> None:
    body = search(client, "project:shelf-search installation")
    assert [p[2] for p in pages(body)] == ["index.html", "guide.html"]
    assert body["results"][0]["blocks"][0]["highlights"]["title"] == ["<span>Installation</span>"]


def test_search_ranking_and_ignore_from_the_config_file(client: Any, indexed: Indexed) -> None:
    # deprecated.html says "quux" four times but is ranked -8: the page saying it once comes first.
    files = [p[2] for p in pages(search(client, "project:shelf-search quux"))]
    assert files == ["index.html", "deprecated.html"]
    assert search(client, "project:shelf-search nebulous")["count"] == 0  # search.ignore: hidden-page.html
    assert client.get("/docs/shelf-search/en/latest/hidden-page.html").status_code == 200  # still served


def test_the_default_version_beats_older_ones_unless_a_version_is_asked_for(
    client: Any, indexed: Indexed
) -> None:
    both = search(client, "project:shelf-search/1.0 project:shelf-search welcome")
    assert [(p[1], p[2]) for p in pages(both)][:2] == [("latest", "index.html"), ("1.0", "index.html")]
    assert [p["versions"] for p in both["projects"]] == [[{"slug": "1.0"}], [{"slug": "latest"}]]
    older = search(client, "project:shelf-search/1.0 legacy")
    assert pages(older) == [("shelf-search", "1.0", "index.html")]
    assert older["results"][0]["path"] == "/docs/shelf-search/en/1.0/index.html"
    assert search(client, "project:shelf-search legacy")["count"] == 0


def test_subprojects_are_searched_under_their_alias(client: Any, indexed: Indexed) -> None:
    body = search(client, "subprojects:shelf-search quux")
    assert [p["slug"] for p in body["projects"]] == ["shelf-search", "shelf-child"]
    child = [r for r in body["results"] if r["project"]["slug"] == "shelf-child"]
    assert len(child) == 1 and child[0]["project"]["alias"] == "child"
    assert child[0]["blocks"][0]["id"] == "child-home"  # MkDocs: the heading's own id
    assert search(client, "subprojects:shelf-search capacitor")["results"][0]["blocks"][0]["id"] == "tuning"
    assert "shelf-child" not in {p[0] for p in pages(search(client, "project:shelf-search quux"))}
    direct = search(client, "project:shelf-child quux")["results"]
    assert direct[0]["project"] == {"slug": "shelf-child", "alias": "child"}  # named directly: its alias too


def test_private_versions_and_projects_only_for_those_who_may_read_them(
    client: Any, indexed: Indexed
) -> None:
    headers = owner_headers(indexed)
    anonymous = search(client, "project:shelf-search/secret moonbeam")
    assert anonymous["count"] == 0 and anonymous["projects"] == []
    assert search(client, "project:shelf-search/secret moonbeam", headers)["count"] == 1
    stranger = {"Authorization": f"Token {factories.make_token(factories.UserFactory(username='mallory'))}"}
    assert search(client, "project:shelf-search/secret moonbeam", stranger)["count"] == 0

    indexed.parent.privacy_level = "private"
    db.session.commit()
    for who in ({}, stranger):
        # Nothing of the private parent, not even which subprojects it has; the child itself stays public.
        assert search(client, "subprojects:shelf-search quux", who)["projects"] == []
        assert search(client, "project:shelf-search quux", who)["projects"] == []
        child = search(client, "project:shelf-child quux", who)
        assert [p[0] for p in pages(child)] == ["shelf-child"]
    assert [p["slug"] for p in search(client, "subprojects:shelf-search quux", headers)["projects"]] == [
        "shelf-search",
        "shelf-child",
    ]
    assert search(client, "project:shelf-search quux", headers)["count"] == 2
    mine = search(client, "user:@me quux", headers)
    assert [p["slug"] for p in mine["projects"]] == ["shelf-child", "shelf-search"]
    assert search(client, "user:@me quux")["projects"] == []  # anonymous: nobody's projects


def test_pages_of_results(client: Any, indexed: Indexed) -> None:
    first = search(client, "subprojects:shelf-search quux", page_size=2)
    assert first["count"] == 3 and len(first["results"]) == 2 and first["previous"] is None
    assert first["next"].startswith("http://localhost/api/v3/search/?") and "page=2" in first["next"]
    second = search(client, "subprojects:shelf-search quux", page_size=2, page=2)
    assert len(second["results"]) == 1 and second["next"] is None and "page=1" in second["previous"]
    seen = {r["path"] for r in first["results"]} | {r["path"] for r in second["results"]}
    assert len(seen) == 3
    past = search(client, "subprojects:shelf-search quux", page=50)
    assert past["results"] == [] and past["count"] == 3
    lenient = search(client, "subprojects:shelf-search quux", page="x", page_size="-3")
    assert len(lenient["results"]) == 3


def test_without_arguments_nothing_is_searched(client: Any, indexed: Indexed) -> None:
    body = search(client, "quux")
    assert body == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
        "projects": [],
        "query": "quux",
    }


def test_highlights_never_carry_the_page_s_markup(client: Any, indexed: Indexed) -> None:
    (block,) = search(client, "project:shelf-search zebra")["results"][0]["blocks"]
    highlighted = block["highlights"]["content"][0]
    assert "<span>zebra</span>" in highlighted and "<b>" not in highlighted
    assert "&lt;b&gt;is&lt;/b&gt;" in highlighted


def test_phrases_prefixes_exclusions_and_or(client: Any, indexed: Indexed) -> None:
    assert search(client, 'project:shelf-search "quux tooling"')["count"] == 2
    assert search(client, 'project:shelf-search "tooling quux"')["count"] == 0
    assert [p[2] for p in pages(search(client, "project:shelf-search frobni*"))] == ["api.html"]
    assert [p[2] for p in pages(search(client, "project:shelf-search quux -old"))] == ["index.html"]
    either = {p[2] for p in pages(search(client, "project:shelf-search zebra | axle"))}
    assert either == {"guide.html", "api.html"}
    assert search(client, r"project\:shelf-search quux")["count"] == 0  # escaped: text, not an argument


HOSTILE = [
    '"',
    '""',
    '"unclosed phrase',
    "a AND",
    "OR",
    "NOT",
    "NOT x",
    "-",
    "--x",
    "*",
    "**",
    "(",
    ")",
    "(a OR",
    "a:b",
    "project:",
    "subprojects:",
    "user:",
    "user:someone",
    "'; DROP TABLE search_sections; --",
    "\x00",
    "\\",
    "é ü 日本語 🚀",
    "NEAR(a b)",
    "title:x",
    "^x",
    "x~",
    "x~2",
    "a & b | !c <-> d",
    "'a':*",
    "%",
    "_",
    "\u202e",
    "\ue000quux\ue001",
    "project:shelf-search/../../etc",
    "project:shelf-search/",
    "subprojects:shelf-search/nope quux",
    "x" * 999,
    " ".join(["word"] * 30),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_are_answered_200_or_400(client: Any, indexed: Indexed, text: str) -> None:
    for q in (text, f"project:shelf-search {text}", f"subprojects:shelf-search {text} quux"):
        response = client.get(URL, query_string={"q": q})
        assert response.status_code in (200, 400), (q, response.status_code, response.json)
        if response.status_code == 400:
            assert response.json["code"] == "validation_error" and "q" in response.json["errors"]


def test_the_query_is_bounded(client: Any, indexed: Indexed) -> None:
    for q, reason in (("x" * 10_000, "longer than"), (" ".join(f"w{i}" for i in range(40)), "terms")):
        response = client.get(URL, query_string={"q": q})
        assert response.status_code == 400 and reason in response.json["detail"]
    for q in ("", "   "):
        response = client.get(URL, query_string={"q": q})
        assert response.status_code == 400 and response.json["errors"] == {
            "q": ["This query parameter is required."]
        }
    assert client.get(URL).status_code == 400
    body = search(client, "subprojects:shelf-search quux", page_size=100_000)
    assert body["count"] == 3  # page size capped, not refused
