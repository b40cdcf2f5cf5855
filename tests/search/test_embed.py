"""The embed API over real builds: sections, API objects, MkDocs headings; only documentation hosted
here, never a fetch; privacy; traversal and links in the built output."""

from __future__ import annotations

import os
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from tests import factories
from tests.search.conftest import Indexed

EMBED = "/_/api/v3/embed/"
DOCS = "http://docs.localhost/docs"


def embed(client: Any, url: str, headers: dict[str, str] | None = None, **params: str) -> Any:
    return client.get(EMBED, query_string={"url": url, **params}, headers=headers or {})


def test_an_api_object_comes_back_as_its_definition(client: Any, indexed: Indexed) -> None:
    url = f"{DOCS}/shelf-search/en/latest/api.html#shelfmod.frobnicate"
    response = embed(client, url, doctool="sphinx", doctoolversion="9.0")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["url"], body["fragment"], body["external"]) == (url, "shelfmod.frobnicate", False)
    content = body["content"]
    assert content.startswith('<dl class="py function">') and content.endswith("</dl>")
    assert 'id="shelfmod.frobnicate"' in content and "Frobnicate the widget" in content
    assert "Widget" not in content.replace("widget", "")  # the next object is not included


def test_sections_of_sphinx_and_mkdocs_pages(client: Any, indexed: Indexed) -> None:
    content = embed(client, f"{DOCS}/shelf-search/en/latest/index.html#installation").json["content"]
    assert content.startswith('<section id="installation">') and "pip install shelfsearch" in content
    assert "Welcome" not in content
    for url in (
        f"{DOCS}/shelf-child/en/latest/#tuning",
        f"{DOCS}/shelf-search/projects/child/en/latest/#tuning",
        "/docs/shelf-child/en/latest/index.html#tuning",
    ):
        content = embed(client, url).json["content"]
        assert content.startswith('<h2 id="tuning">') and "flux capacitor" in content, url
        assert "Child home" not in content
    whole = embed(client, f"{DOCS}/shelf-search/en/latest/guide.html").json
    assert (
        whole["fragment"] is None and 'role="main"' in whole["content"] and "shelf.toml" in whole["content"]
    )
    assert "<html" not in whole["content"]
    body = embed(client, f"{DOCS}/shelf-search/en/latest/guide.html", maincontent="div.body").json["content"]
    assert body.startswith('<div class="body"') and "shelf.toml" in body


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/docs/shelf-search/en/latest/index.html",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/docs/shelf-search/en/latest/index.html",  # the app origin, not the docs one
        "http://docs.localhost.evil.example/docs/shelf-search/en/latest/index.html",
        "http://user:secret@docs.localhost/docs/shelf-search/en/latest/index.html",
        "//evil.example/docs/shelf-search/en/latest/index.html",
        "file:///etc/passwd",
        "gopher://docs.localhost/_/x",
        "javascript:alert(1)",
        "docs/shelf-search/en/latest/index.html",
        "/api/v3/projects/",
        "/docs/shelf-search/en/latest/../../../../../etc/passwd",
        "/docs/shelf-search/en/latest/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/docs/shelf-search/en/latest/..%5c..%5cetc%5cpasswd",
        "/docs/shelf-search/en/latest/%00index.html",
        "http://docs.localhost/docs/shelf-search/en/latest/" + "a/" * 1500,
    ],
)
def test_only_documentation_hosted_here_is_embedded(client: Any, indexed: Indexed, url: str) -> None:
    response = embed(client, url)
    assert response.status_code == 400, (url, response.status_code, response.json)
    assert "content" not in response.json


def test_missing_pages_sections_and_files_that_are_not_pages(
    client: Any, app: Flask, indexed: Indexed
) -> None:
    html = os.path.join(app.config["STORAGE_DIR"], "shelf-search", "latest", "html")
    os.symlink("/etc/passwd", os.path.join(html, "leak.html"))
    for url in (
        "/docs/shelf-search/en/latest/leak.html",
        "/docs/shelf-search/en/latest/nope.html",
        "/docs/shelf-search/en/latest/index.html#no-such-id",
        "/docs/shelf-search/en/latest/objects.inv",
        "/docs/shelf-search/en/latest/_static/basic.css",
        "/docs/no-such-project/en/latest/",
        "/docs/shelf-search/en/9.9/index.html",
    ):
        response = embed(client, url)
        assert response.status_code == 404, (url, response.json)
        assert "root:" not in response.get_data(as_text=True)
    assert client.get(EMBED).status_code == 400
    assert embed(client, "/docs/shelf-search/en/latest/", doctool="word").status_code == 400
    assert embed(client, "/docs/shelf-search/en/latest/", maincontent="div > p:has(x)").status_code == 400


def test_private_docs_only_for_readers_who_may_read_them(client: Any, indexed: Indexed) -> None:
    url = "/docs/shelf-search/en/secret/guide.html"
    owner = {"Authorization": f"Token {factories.make_token(indexed.owner)}"}
    stranger = {"Authorization": f"Token {factories.make_token(factories.UserFactory(username='eve'))}"}
    assert embed(client, url).status_code == 401
    assert embed(client, url, stranger).status_code == 404
    response = embed(client, url, owner)
    assert response.status_code == 200 and "moonbeam" in response.json["content"]
    assert "private" in response.headers["Cache-Control"]
    public = embed(client, "/docs/shelf-search/en/latest/guide.html")
    assert public.status_code == 200 and "public" in public.headers["Cache-Control"]
    indexed.parent.privacy_level = "private"
    db.session.commit()
    assert embed(client, "/docs/shelf-search/en/latest/guide.html").status_code == 401
    assert embed(client, "/docs/shelf-search/projects/child/en/latest/", stranger).status_code == 404
    assert embed(client, "/docs/shelf-search/en/latest/guide.html", owner).status_code == 200


def test_the_app_origin_sends_clients_to_the_docs_origin(client: Any, indexed: Indexed) -> None:
    response = client.get(
        "/api/v3/embed/", query_string={"url": "/docs/shelf-search/en/latest/#installation"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "http://docs.localhost/_/api/v3/embed/?url=/docs/shelf-search/en/latest/%23installation"
    )
    followed = client.get(response.headers["Location"])
    assert followed.status_code == 200 and followed.json["fragment"] == "installation"


def test_host_based_docs(client: Any, indexed: Indexed, app: Flask, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "DOCS_DOMAIN", "docs.test")
    host = "http://shelf-search.docs.test"
    for url in (f"{host}/en/latest/index.html#installation", "/en/latest/index.html#installation"):
        response = client.get(EMBED, query_string={"url": url}, base_url=host)
        assert response.status_code == 200 and response.json["content"].startswith(
            '<section id="installation">'
        )
    child = client.get(EMBED, query_string={"url": "/projects/child/en/latest/#tuning"}, base_url=host)
    assert child.status_code == 200 and "flux capacitor" in child.json["content"]
    other = client.get(EMBED, query_string={"url": "http://evil.docs.test.example/en/latest/"}, base_url=host)
    assert other.status_code == 400
