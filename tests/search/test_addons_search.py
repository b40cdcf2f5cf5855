"""The addons answer search, hotkeys and link previews truthfully; the docs origin's search endpoint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from app.extensions import db
from app.models import SearchSection
from tests import factories
from tests.search.conftest import Indexed


def addons(client: Any, url: str) -> dict[str, Any]:
    response = client.get("/_/addons/", query_string={"api-version": "1", "url": url})
    assert response.status_code == 200, response.json
    return response.json["addons"]  # type: ignore[no-any-return]


def test_search_hotkeys_and_link_previews(client: Any, indexed: Indexed) -> None:
    data = addons(client, "http://docs.localhost/docs/shelf-search/en/latest/api.html")
    assert data["search"] == {
        "enabled": True,
        "api_endpoint": "/_/api/v3/search/",
        "project": "shelf-search",
        "version": "latest",
        "default_filter": "project:shelf-search/latest",
        "filters": [
            ["Search only in this project", "project:shelf-search/latest"],
            ["Include subprojects", "subprojects:shelf-search/latest"],
        ],
    }
    assert data["hotkeys"]["enabled"] is True and data["hotkeys"]["search"] == {
        "enabled": True,
        "trigger": "Slash",
    }
    assert (
        data["linkpreviews"]["enabled"] is True and "[role=main] a[href]" in data["linkpreviews"]["selector"]
    )
    child = addons(client, "http://docs.localhost/docs/shelf-search/projects/child/en/latest/")["search"]
    assert child["enabled"] is True and child["filters"] == [
        ["Search only in this project", "project:shelf-child/latest"]
    ]
    # Not indexed (e.g. built before search existed): the addons say so.
    db.session.execute(
        delete(SearchSection).where(SearchSection.version_id == indexed.version(indexed.parent, "1.0").id)
    )
    db.session.commit()
    assert addons(client, "http://docs.localhost/docs/shelf-search/en/1.0/")["search"]["enabled"] is False


def test_the_docs_origin_answers_searches_for_the_addons(client: Any, indexed: Indexed) -> None:
    url = "/_/api/v3/search/"
    response = client.get(url, query_string={"q": "subprojects:shelf-search quux", "page_size": 2})
    assert response.status_code == 200 and response.json["count"] == 3
    assert (
        response.json["next"].startswith("http://docs.localhost/_/api/v3/search/?")
        and response.headers["Cache-Control"] == "private, no-cache"
    )
    assert client.get(url, query_string={"q": "project:shelf-search/secret moonbeam"}).json["count"] == 0
    owner = {"Authorization": f"Token {factories.make_token(indexed.owner)}"}
    assert (
        client.get(url, query_string={"q": "project:shelf-search/secret moonbeam"}, headers=owner).json[
            "count"
        ]
        == 1
    )
    for q in ("", "x" * 5000, " ".join(f"w{i}" for i in range(40))):
        assert client.get(url, query_string={"q": q}).status_code == 400
