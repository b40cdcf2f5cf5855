"""Every human URL the API hands out leads to the browsable API page of what it names, never a 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests import factories


def _site_urls(client: Any, headers: dict[str, str]) -> list[str]:
    project = client.get("/api/v3/projects/pip/", headers=headers).json
    build = client.get("/api/v3/projects/pip/builds/", headers=headers).json["results"][0]
    version = client.get("/api/v3/projects/pip/versions/latest/", headers=headers).json
    urls = [project["urls"][k] for k in ("home", "builds", "versions", "downloads")]
    urls += list(build["urls"].values()) + [version["urls"]["dashboard"]["edit"]]
    return [urlsplit(u).path for u in urls]


def test_site_urls_redirect_to_their_api_pages(client, headers, user):
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user], homepage="")
    build = factories.BuildFactory(version=project.versions[0])
    expected = {
        "/projects/pip/": "/api/v3/projects/pip/",
        "/projects/pip/builds/": "/api/v3/projects/pip/builds/",
        "/projects/pip/versions/": "/api/v3/projects/pip/versions/",
        "/projects/pip/downloads/": "/api/v3/projects/pip/versions/",
        f"/projects/pip/builds/{build.id}/": f"/api/v3/projects/pip/builds/{build.id}/",
        "/projects/pip/versions/latest/": "/api/v3/projects/pip/versions/latest/",
        "/dashboard/pip/version/latest/edit/": "/api/v3/projects/pip/versions/latest/",
    }
    assert sorted(set(_site_urls(client, headers))) == sorted(expected)
    for path, target in expected.items():
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == target, path
        followed = client.get(target, headers={**headers, "Accept": "text/html"})
        assert followed.status_code == 200 and followed.mimetype == "text/html", target
    assert client.get("/projects/pip/builds/?running=true").headers["Location"] == (
        "/api/v3/projects/pip/builds/?running=true"
    )


def test_docs_hosts_keep_these_paths_for_the_docs(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "DOCS_DOMAIN", "docs.test")
    response = client.get("/projects/extra/", base_url="http://pip.docs.test")
    assert response.status_code == 404  # answered by docs serving (no such project), not redirected
    assert "/api/v3/" not in response.headers.get("Location", "")
