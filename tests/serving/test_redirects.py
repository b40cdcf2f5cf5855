"""The redirect matrix: every type, force, enabled, position order, splat, query strings, loops, hosts.

Redirects are created through the API (so they are normalised as users' are) and exercised against
the real built sites.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests import factories

SPHINX = "/docs/shelf-sphinx"
MKDOCS = "/docs/shelf-mkdocs"


@pytest.fixture
def add(client, sites, owner_headers):
    """Append a redirect to a project through the API (after the existing ones unless told)."""
    counts: dict[str, int] = {}

    def add(project: str = "shelf-sphinx", **fields: Any) -> dict[str, Any]:
        fields.setdefault("position", counts.get(project, 0))
        response = client.post(f"/api/v3/projects/{project}/redirects/", json=fields, headers=owner_headers)
        assert response.status_code == 201, response.json
        counts[project] = counts.get(project, 0) + 1
        return response.json

    return add


def location(response) -> str:
    assert response.status_code in (301, 302), (response.status_code, response.text[:200])
    assert response.headers["X-Docshelf-Redirect"] == "user"
    return response.headers["Location"]


def test_page_redirects_apply_in_every_version_only_when_the_page_is_missing(client, add):
    add(type="page", from_url="/old-guide.html", to_url="/guide.html")
    add(type="page", from_url="/guide.html", to_url="/sub/page.html")  # guide.html exists: never used
    assert location(client.get(f"{SPHINX}/en/1.0/old-guide.html")) == f"{SPHINX}/en/1.0/guide.html"
    assert location(client.get(f"{SPHINX}/en/latest/old-guide.html")) == f"{SPHINX}/en/latest/guide.html"
    served = client.get(f"{SPHINX}/en/latest/guide.html")
    assert served.status_code == 200 and "X-Docshelf-Redirect" not in served.headers


def test_forced_redirects_apply_before_existing_pages(client, add):
    add(type="page", from_url="/guide.html", to_url="/sub/page.html", force=True)
    assert location(client.get(f"{SPHINX}/en/latest/guide.html")) == f"{SPHINX}/en/latest/sub/page.html"


def test_exact_redirects_match_the_whole_path_with_splat(client, add):
    add(type="exact", from_url="/en/0.9/*", to_url="/en/latest/:splat")
    add(type="exact", from_url="/en/latest/old", to_url="/en/latest/guide.html")
    assert location(client.get(f"{SPHINX}/en/0.9/sub/page.html")) == f"{SPHINX}/en/latest/sub/page.html"
    assert location(client.get(f"{SPHINX}/en/0.9/sub/")) == f"{SPHINX}/en/latest/sub/"
    assert location(client.get(f"{SPHINX}/en/0.9/")) == f"{SPHINX}/en/latest/"
    assert location(client.get(f"{SPHINX}/en/0.9/caf%C3%A9.html")) == f"{SPHINX}/en/latest/caf%C3%A9.html"
    assert location(client.get(f"{SPHINX}/en/latest/old")) == f"{SPHINX}/en/latest/guide.html"
    assert location(client.get(f"{SPHINX}/en/latest/old/")) == f"{SPHINX}/en/latest/guide.html"
    assert client.get(f"{SPHINX}/en/latest/older").status_code == 404


def test_disabled_redirects_never_apply(client, add):
    add(type="page", from_url="/gone.html", to_url="/guide.html", enabled=False)
    add(type="page", from_url="/guide.html", to_url="/new.html", force=True, enabled=False)
    assert client.get(f"{SPHINX}/en/latest/gone.html").status_code == 404
    assert client.get(f"{SPHINX}/en/latest/guide.html").status_code == 200


def test_first_match_by_position_wins(client, add, owner_headers):
    first = add(type="page", from_url="/moved.html", to_url="/guide.html")
    second = add(type="exact", from_url="/en/latest/moved.html", to_url="/en/latest/new.html")
    assert location(client.get(f"{SPHINX}/en/latest/moved.html")).endswith("/en/latest/guide.html")
    response = client.patch(
        f"/api/v3/projects/shelf-sphinx/redirects/{second['pk']}/",
        json={"position": 0},
        headers=owner_headers,
    )
    assert response.status_code == 200
    assert location(client.get(f"{SPHINX}/en/latest/moved.html")).endswith("/en/latest/new.html")
    assert first["pk"] != second["pk"]


def test_http_status_is_the_redirects(client, add):
    add(type="page", from_url="/permanent.html", to_url="/guide.html", http_status=301)
    add(type="page", from_url="/temporary.html", to_url="/guide.html")
    assert client.get(f"{SPHINX}/en/latest/permanent.html").status_code == 301
    assert client.get(f"{SPHINX}/en/latest/temporary.html").status_code == 302


def test_query_strings_are_carried_over(client, add):
    add(type="page", from_url="/q.html", to_url="/guide.html")
    add(type="page", from_url="/q2.html", to_url="/guide.html?from=old#part")
    add(type="exact", from_url="/away/*", to_url="https://example.com/docs/:splat")
    got = location(client.get(f"{SPHINX}/en/latest/q.html?a=1&b=two"))
    assert got == f"{SPHINX}/en/latest/guide.html?a=1&b=two"
    assert (
        location(client.get(f"{SPHINX}/en/latest/q2.html?a=1"))
        == f"{SPHINX}/en/latest/guide.html?from=old&a=1#part"
    )
    assert location(client.get(f"{SPHINX}/away/x/y.html?a=1")) == "https://example.com/docs/x/y.html?a=1"


def test_html_and_clean_url_rewrites(client, add):
    add(type="clean_url_to_html")
    assert location(client.get(f"{SPHINX}/en/latest/guide/")) == f"{SPHINX}/en/latest/guide.html"
    assert location(client.get(f"{SPHINX}/en/latest/sub/page/")) == f"{SPHINX}/en/latest/sub/page.html"
    assert client.get(f"{SPHINX}/en/latest/sub/").status_code == 200  # exists: not rewritten
    assert client.get(f"{MKDOCS}/en/latest/guide.html").status_code == 404
    add("shelf-mkdocs", type="html_to_clean_url")
    assert location(client.get(f"{MKDOCS}/en/latest/guide.html")) == f"{MKDOCS}/en/latest/guide/"
    assert location(client.get(f"{MKDOCS}/en/latest/sub/index.html?x=1")) == f"{MKDOCS}/en/latest/sub/?x=1"


def test_loops_are_not_followed(client, add):
    add(type="exact", from_url="/en/latest/a.html", to_url="/en/latest/b.html", force=True)
    add(type="exact", from_url="/en/latest/b.html", to_url="/en/latest/a.html", force=True)
    add(type="page", from_url="/guide.html", to_url="/guide.html", force=True)  # to itself
    add(type="page", from_url="/c.html", to_url="/d.html")
    add(type="page", from_url="/d.html", to_url="/c.html")
    add(type="page", from_url="/e.html", to_url="/f.html")
    add(type="page", from_url="/f.html", to_url="/guide.html")
    assert client.get(f"{SPHINX}/en/latest/a.html").status_code == 404
    assert client.get(f"{SPHINX}/en/latest/guide.html").status_code == 200
    assert client.get(f"{SPHINX}/en/latest/c.html").status_code == 404
    assert (
        location(client.get(f"{SPHINX}/en/latest/e.html")) == f"{SPHINX}/en/latest/f.html"
    )  # a chain, no loop


def test_no_open_redirect_to_another_host(app, client, sites, add, monkeypatch):
    add(type="exact", from_url="/go/*", to_url="/:splat")
    add(type="page", from_url="/p/*", to_url="/:splat")
    add(type="exact", from_url="/api-style", to_url="//evil.example/x")  # the API makes this a local path
    for path in ("/go//evil.example/x", "/go/%2F%2Fevil.example", "/en/latest/p//evil.example", "/api-style"):
        got = location(client.get(SPHINX + path))
        assert urlsplit(got).netloc == "" and got.startswith(f"{SPHINX}/"), got
    assert client.get(SPHINX + "/go/%5Cevil.example").status_code == 400
    # rows written without the API's normalisation still cannot leave the host
    factories.RedirectFactory(
        project=sites.sphinx, type="exact", from_url="/raw", to_url="//evil.example", position=3
    )
    factories.RedirectFactory(
        project=sites.sphinx, type="exact", from_url="/tab", to_url="/\t/evil.example", position=4
    )
    factories.RedirectFactory(
        project=sites.sphinx, type="exact", from_url="/slash", to_url="/\\evil.example", position=5
    )
    factories.RedirectFactory(
        project=sites.sphinx, type="exact", from_url="/host/*", to_url="https://:splat/", position=6
    )
    monkeypatch.setitem(app.config, "DOCS_DOMAIN", "docs.test")
    host = "http://shelf-sphinx.docs.test"
    for path in ("/go//evil.example/x", "/go/%2F%2Fevil.example", "/raw", "/tab", "/slash"):
        got = location(client.get(path, base_url=host))
        assert urlsplit(got).netloc == "" and got.startswith("/") and not got.startswith("//"), got
        assert "\\" not in got and "\t" not in got
    assert client.get("/host/evil.example", base_url=host).status_code == 404  # the splat may not pick a host
    # Docshelf's own slash redirect is built from the cleaned path, not from what the client sent
    slash = client.get("/", base_url=host, environ_overrides={"PATH_INFO": "//en/latest/sub"})
    assert slash.status_code == 302 and slash.headers["Location"] == "/en/latest/sub/"


def test_redirects_of_subprojects_and_host_based_roots(app, client, sites, add, monkeypatch):
    child = sites.restore("shelf-mkdocs", "child-docs")
    factories.RelationshipFactory(parent=sites.sphinx, child=child, alias="extra")
    add("child-docs", type="exact", from_url="/en/old/*", to_url="/en/latest/:splat")
    add("child-docs", type="page", from_url="/intro/", to_url="/guide/")
    base = f"{SPHINX}/projects/extra"
    assert location(client.get(f"{base}/en/old/sub/page/")) == f"{base}/en/latest/sub/page/"
    assert location(client.get(f"{base}/en/1.0/intro/")) == f"{base}/en/1.0/guide/"
    monkeypatch.setitem(app.config, "DOCS_DOMAIN", "docs.test")
    got = location(client.get("/projects/extra/en/old/guide/", base_url="http://shelf-sphinx.docs.test"))
    assert got == "/projects/extra/en/latest/guide/"
