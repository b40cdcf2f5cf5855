"""``GET /_/addons/``: the contract's shape, version order, warning data, and links that stay in place."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from tests import factories

SPHINX = "/docs/shelf-sphinx"


def addons(client, **query: str) -> dict[str, Any]:
    response = client.get("/_/addons/", query_string=query)
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/json"
    return response.json


def test_shape_for_a_page_url(client, sites):
    data = addons(client, **{"api-version": "1", "url": f"http://docs.localhost{SPHINX}/en/1.0/sub/page.html"})
    assert set(data) == {"api_version", "projects", "versions", "builds", "domains", "readthedocs", "addons"}
    assert data["api_version"] == "1"
    assert data["projects"]["current"]["slug"] == "shelf-sphinx" and data["projects"]["translations"] == []
    assert "_links" not in data["projects"]["current"]
    current = data["versions"]["current"]
    assert (
        current["slug"] == "1.0" and current["urls"]["documentation"] == f"http://docs.localhost{SPHINX}/en/1.0/"
    )
    assert set(current["downloads"]) == {"htmlzip", "epub"} and "_links" not in current
    assert [v["slug"] for v in data["versions"]["active"]] == ["latest", "1.0"]
    build = data["builds"]["current"]
    assert build["success"] is True and build["version"] == "1.0" and len(build["commit"]) == 40
    assert data["readthedocs"] == {"resolver": {"filename": "/sub/page.html"}, "analytics": {"code": None}}
    assert data["domains"]["dashboard"] == "localhost"
    assert set(data["addons"]) >= {"flyout", "non-latest-version-warning", "version-warning", "search"}
    assert data["addons"]["flyout"]["enabled"] is True
    assert data["addons"]["search"]["default_filter"] == "project:shelf-sphinx/1.0"
    warning = data["addons"]["non-latest-version-warning"]
    assert warning["show"] is True
    assert warning["latest"] == {"slug": "latest", "url": f"http://docs.localhost{SPHINX}/en/latest/sub/page.html"}


def test_keys_are_sorted_and_etags_revalidate(client, sites):
    response = client.get("/_/addons/", query_string={"url": f"http://docs.localhost{SPHINX}/en/latest/"})
    text = response.get_data(as_text=True)
    assert (
        text.index('"addons"')
        < text.index('"api_version"')
        < text.index('"builds"')
        < text.index('"versions"')
    )
    assert response.json["addons"]["non-latest-version-warning"]["show"] is False
    again = client.get(
        "/_/addons/",
        query_string={"url": f"http://docs.localhost{SPHINX}/en/latest/"},
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_project_and_version_slugs_give_canonical_links(client, sites):
    data = addons(client, **{"project-slug": "shelf-mkdocs", "version-slug": "1.0"})
    assert (
        data["versions"]["current"]["urls"]["documentation"] == "http://docs.localhost/docs/shelf-mkdocs/en/1.0/"
    )
    assert data["readthedocs"]["resolver"]["filename"] is None
    assert (
        data["addons"]["non-latest-version-warning"]["latest"]["url"]
        == "http://docs.localhost/docs/shelf-mkdocs/en/latest/"
    )


def test_active_versions_sorted_by_version_number(client, sites):
    project = sites.sphinx
    for slug in ("2.0", "10.0", "1.0rc1", "dev", "feature-x", "0.9"):
        factories.VersionFactory(project=project, slug=slug, built=True, active=True)
    factories.VersionFactory(project=project, slug="11.0", built=True, active=True, hidden=True)
    factories.VersionFactory(project=project, slug="12.0", built=True, active=True, privacy_level="private")
    factories.VersionFactory(project=project, slug="13.0", built=True, active=False)
    factories.VersionFactory(project=project, slug="14.0", built=False, active=True)
    sites.version(project, "stable").built = True
    db.session.commit()
    data = addons(client, **{"project-slug": "shelf-sphinx", "version-slug": "latest"})
    order = [v["slug"] for v in data["versions"]["active"]]
    assert order == ["latest", "stable", "10.0", "2.0", "1.0", "1.0rc1", "0.9", "dev", "feature-x"]


def test_translations_and_subprojects(client, sites):
    spanish = sites.restore(
        "shelf-sphinx", "shelf-sphinx-es", language="es", main_language_project=sites.sphinx
    )
    data = addons(client, url=f"http://docs.localhost{SPHINX}/en/1.0/guide.html")
    [translation] = data["projects"]["translations"]
    assert translation["slug"] == spanish.slug and translation["language"]["code"] == "es"
    assert translation["urls"]["documentation"] == f"http://docs.localhost{SPHINX}/es/1.0/"
    from_spanish = addons(client, url=f"http://docs.localhost{SPHINX}/es/latest/")
    assert from_spanish["projects"]["current"]["slug"] == "shelf-sphinx-es"
    assert [p["slug"] for p in from_spanish["projects"]["translations"]] == ["shelf-sphinx"]
    child = sites.restore("shelf-mkdocs", "child-docs")
    factories.RelationshipFactory(parent=sites.sphinx, child=child, alias="extra")
    nested = addons(client, url=f"http://docs.localhost{SPHINX}/projects/extra/en/1.0/guide/")
    assert nested["projects"]["current"]["slug"] == "child-docs"
    assert (
        nested["versions"]["current"]["urls"]["documentation"]
        == f"http://docs.localhost{SPHINX}/projects/extra/en/1.0/"
    )
    canonical = addons(client, **{"project-slug": "child-docs", "version-slug": "latest"})
    assert canonical["versions"]["current"]["urls"]["documentation"].endswith(
        f"{SPHINX}/projects/extra/en/latest/"
    )


def test_single_version_projects_list_their_one_version(client, sites):
    sites.mkdocs.versioning_scheme = "single_version_without_translations"
    db.session.commit()
    data = addons(client, url="http://docs.localhost/docs/shelf-mkdocs/guide/")
    assert [v["slug"] for v in data["versions"]["active"]] == ["latest"]
    assert data["versions"]["current"]["urls"]["documentation"] == "http://docs.localhost/docs/shelf-mkdocs/"
    assert data["readthedocs"]["resolver"]["filename"] == "/guide/"


def test_bad_requests(client, sites):
    missing = client.get("/_/addons/")
    assert missing.status_code == 400 and missing.json["code"] == "validation_error"
    assert client.get("/_/addons/?project-slug=shelf-sphinx").status_code == 400
    assert (
        client.get("/_/addons/?api-version=2&project-slug=shelf-sphinx&version-slug=latest").status_code
        == 400
    )
    assert (
        client.get("/_/addons/?api-version=x&project-slug=shelf-sphinx&version-slug=latest").status_code
        == 400
    )
    unknown = client.get("/_/addons/?project-slug=nobody&version-slug=latest")
    assert unknown.status_code == 404 and unknown.json["code"] == "not_found"
    assert client.get("/_/addons/?url=http://localhost/elsewhere/").status_code == 404
    partial = addons(client, url=f"http://docs.localhost{SPHINX}/en/9.9/")  # a project, no such version
    assert partial["versions"]["current"] is None and partial["builds"]["current"] is None


def test_the_client_script_is_served(client):
    response = client.get("/_/static/docshelf-addons.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "non-latest-version-warning" in response.text and "ETag" in response.headers


def test_the_apis_query_conventions_do_not_apply(client, sites):
    """``fields``/``omit``/``expand`` are the API's: here they neither prune the answer nor fail it."""
    plain = addons(client, **{"project-slug": "shelf-sphinx", "version-slug": "1.0"})
    for extra in ({"fields": "id"}, {"omit": "urls"}, {"expand": "active_versions,permissions,config"}):
        data = addons(client, **{"project-slug": "shelf-sphinx", "version-slug": "1.0"}, **extra)
        assert data == plain
    assert "active_versions" not in plain["projects"]["current"]
    assert plain["projects"]["current"]["urls"]["documentation"] == "http://docs.localhost/docs/shelf-sphinx/en/latest/"
