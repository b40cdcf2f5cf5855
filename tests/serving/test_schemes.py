"""URL schemes over real built sites: versioning schemes, subprojects, translations, path- and host-based."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.extensions import db
from tests import factories

SPHINX = "/docs/shelf-sphinx"
MKDOCS = "/docs/shelf-mkdocs"


def test_project_root_redirects_to_the_default_version(client, sites):
    response = client.get(f"{SPHINX}/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{SPHINX}/en/latest/"
    assert response.headers["X-Docshelf-Redirect"] == "system"
    assert client.get(f"{SPHINX}/en/").headers["Location"] == f"{SPHINX}/en/latest/"
    assert client.get(f"{SPHINX}/en").headers["Location"] == f"{SPHINX}/en/latest/"
    assert client.get(SPHINX).status_code == 308  # the slash-less root gets its slash first

    sites.sphinx.default_version = "1.0"
    db.session.commit()
    assert client.get(f"{SPHINX}/").headers["Location"] == f"{SPHINX}/en/1.0/"
    sites.sphinx.default_version = "no-such-version"  # falls back to latest
    db.session.commit()
    assert client.get(f"{SPHINX}/").headers["Location"] == f"{SPHINX}/en/latest/"


def test_pages_of_each_version_come_from_their_own_build(client, sites):
    latest = client.get(f"{SPHINX}/en/latest/")
    assert latest.status_code == 200 and "Main branch" in latest.text
    old = client.get(f"{SPHINX}/en/1.0/")
    assert old.status_code == 200 and "Release one" in old.text
    assert "The guide of Release one" in client.get(f"{SPHINX}/en/1.0/guide.html").text
    assert client.get(f"{SPHINX}/en/latest/new.html").status_code == 200
    assert client.get(f"{SPHINX}/en/1.0/new.html").status_code == 404
    assert "Welcome to Main branch" in client.get(f"{MKDOCS}/en/latest/").text
    assert "The guide of Release one" in client.get(f"{MKDOCS}/en/1.0/guide/").text


def test_directories_serve_index_html_and_get_their_slash(client, sites):
    response = client.get(f"{SPHINX}/en/latest/sub/")
    assert response.status_code == 200 and "Sub page" in response.text
    with open(sites.html(sites.sphinx, "latest", "sub", "index.html"), encoding="utf-8") as fh:
        assert response.text == fh.read()
    slashless = client.get(f"{SPHINX}/en/latest/sub?x=1")
    assert slashless.status_code == 302 and slashless.headers["Location"] == f"{SPHINX}/en/latest/sub/?x=1"
    version_root = client.get(f"{SPHINX}/en/latest")
    assert version_root.status_code == 302 and version_root.headers["Location"] == f"{SPHINX}/en/latest/"
    assert client.get(f"{SPHINX}/en/latest/guide.html/").status_code == 404  # a file is not a directory
    assert client.get(f"{MKDOCS}/en/latest/sub/page/").status_code == 200


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("guide.html", "text/html; charset=utf-8"),
        ("_static/basic.css", "text/css; charset=utf-8"),
        ("_static/doctools.js", "text/javascript; charset=utf-8"),
        ("_static/file.png", "image/png"),
        ("_static/github-banner.svg", "image/svg+xml; charset=utf-8"),
        ("objects.inv", "application/octet-stream"),
        ("_sources/guide.rst.txt", "text/plain; charset=utf-8"),
    ],
)
def test_content_types(client, sites, path, content_type):
    response = client.get(f"{SPHINX}/en/latest/{path}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Disposition" not in response.headers


def test_not_found_uses_the_projects_404_page_when_it_built_one(client, sites):
    mkdocs = client.get(f"{MKDOCS}/en/latest/no-such-page/")
    assert mkdocs.status_code == 404
    with open(sites.html(sites.mkdocs, "latest", "404.html"), encoding="utf-8") as fh:
        assert mkdocs.text == fh.read()
    sphinx = client.get(f"{SPHINX}/en/latest/no-such-page.html")  # Sphinx builds no 404.html
    assert sphinx.status_code == 404 and sphinx.mimetype == "text/html" and "Page not found" in sphinx.text
    unknown_version = client.get(f"{MKDOCS}/en/9.9/")  # falls back to the default version's 404.html
    assert unknown_version.status_code == 404 and "404" in unknown_version.text
    assert client.get("/docs/no-such-project/").status_code == 404
    assert client.get(f"{SPHINX}/en/stable/").status_code == 404  # active but never built
    as_json = client.get(f"{SPHINX}/en/latest/missing.html", headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and as_json.json["code"] == "not_found"


def test_multiple_versions_without_translations(client, sites):
    sites.sphinx.versioning_scheme = "multiple_versions_without_translations"
    db.session.commit()
    assert client.get(f"{SPHINX}/").headers["Location"] == f"{SPHINX}/latest/"
    assert "Release one" in client.get(f"{SPHINX}/1.0/guide.html").text
    assert client.get(f"{SPHINX}/en/1.0/guide.html").headers["Location"] == f"{SPHINX}/1.0/guide.html"
    assert client.get(f"{SPHINX}/fr/latest/").status_code == 404
    # Whether the API already advertises ``/<version>/`` or still ``/<lang>/<version>/``, readers land here.
    documentation = client.get("/api/v3/projects/shelf-sphinx/versions/1.0/").json["urls"]["documentation"]
    followed = client.get(urlsplit(documentation).path, follow_redirects=True)
    assert followed.status_code == 200 and followed.request.path == f"{SPHINX}/1.0/"


def test_single_version_serves_the_default_version_at_the_root(client, sites):
    sites.sphinx.versioning_scheme = "single_version_without_translations"
    sites.sphinx.default_version = "1.0"
    db.session.commit()
    root = client.get(f"{SPHINX}/")
    assert root.status_code == 200 and "Release one" in root.text
    assert "The guide of Release one" in client.get(f"{SPHINX}/guide.html").text
    assert client.get(f"{SPHINX}/en/latest/").status_code == 404
    documentation = client.get("/api/v3/projects/shelf-sphinx/").json["urls"]["documentation"]
    assert client.get(urlsplit(documentation).path).status_code == 200


def test_documentation_urls_advertised_by_the_api_are_served(client, sites):
    for project in ("shelf-sphinx", "shelf-mkdocs"):
        versions = client.get(f"/api/v3/projects/{project}/versions/?built=true").json["results"]
        assert {v["slug"] for v in versions} == {"latest", "1.0"}
        for version in versions:
            response = client.get(urlsplit(version["urls"]["documentation"]).path)
            assert response.status_code == 200, version["urls"]["documentation"]


def test_subprojects_live_under_their_parent(client, sites):
    child = sites.restore("shelf-mkdocs", "child-docs")
    factories.RelationshipFactory(parent=sites.sphinx, child=child, alias="extra")
    base = f"{SPHINX}/projects/extra"
    assert client.get(f"{base}/").headers["Location"] == f"{base}/en/latest/"
    assert client.get(base).headers["Location"] == f"{base}/en/latest/"
    page = client.get(f"{base}/en/1.0/guide/")
    assert page.status_code == 200 and "The guide of Release one" in page.text
    assert client.get(f"{SPHINX}/projects/unknown/en/latest/").status_code == 404
    assert client.get("/docs/child-docs/en/latest/").status_code == 200  # the URL the API advertises


def test_translations_are_served_under_the_main_project(client, sites):
    spanish = sites.restore(
        "shelf-sphinx", "shelf-sphinx-es", language="es", main_language_project=sites.sphinx
    )
    index = sites.html(spanish, "latest", "index.html")
    with open(index, "a", encoding="utf-8") as fh:
        fh.write("<!-- servido desde la traducción -->")
    page = client.get(f"{SPHINX}/es/latest/")
    assert page.status_code == 200 and "servido desde la traducción" in page.text
    assert client.get(f"{SPHINX}/es/").headers["Location"] == f"{SPHINX}/es/latest/"
    assert "servido" not in client.get(f"{SPHINX}/en/latest/").text
    assert client.get("/docs/shelf-sphinx-es/es/latest/").status_code == 200  # its own URL (API docs_url)
    assert "servido" not in client.get("/docs/shelf-sphinx-es/en/latest/").text  # back to the main language
    assert client.get(f"{SPHINX}/fr/latest/").status_code == 404


def test_host_based_serving(app, client, sites, monkeypatch):
    monkeypatch.setitem(app.config, "DOCS_DOMAIN", "docs.test")
    child = sites.restore("shelf-mkdocs", "child-docs")
    factories.RelationshipFactory(parent=sites.sphinx, child=child, alias="extra")
    host = "http://shelf-sphinx.docs.test"
    root = client.get("/", base_url=host)
    assert root.status_code == 302 and root.headers["Location"] == "/en/latest/"
    page = client.get("/en/1.0/guide.html", base_url=host)
    assert page.status_code == 200 and "The guide of Release one" in page.text
    assert client.get("/en/latest/sub", base_url=host).headers["Location"] == "/en/latest/sub/"
    assert client.get("/projects/extra/en/latest/guide/", base_url=host).status_code == 200
    assert client.get("/", base_url="http://shelf-sphinx.docs.test:8080").status_code == 302
    assert client.get("/en/latest/", base_url="http://nothing-here.docs.test").status_code == 404
    assert client.post("/en/latest/", base_url=host).status_code == 405
    addons = client.get("/_/addons/", query_string={"url": f"{host}/en/1.0/guide.html"}, base_url=host).json
    assert addons["versions"]["current"]["urls"]["documentation"] == f"{host}/en/1.0/"
    # the main host keeps the API and path-based docs
    assert client.get("/api/v3/").status_code == 200
    assert client.get(f"{SPHINX}/en/latest/").status_code == 200
    assert client.get("/api/v3/projects/shelf-sphinx/", base_url=host).status_code == 404
