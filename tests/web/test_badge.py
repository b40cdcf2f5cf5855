"""The build status badge at Read the Docs' URL: passing, failing or unknown, never a private project's."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from app.extensions import db
from tests import factories

SVG = "{http://www.w3.org/2000/svg}"


def _status(client: Any, path: str, **kwargs: Any) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml", response.data
    root = ET.fromstring(response.data)  # well-formed SVG
    title = root.find(f"{SVG}title")
    assert title is not None and title.text is not None
    return title.text.removeprefix("docs: ")


def test_the_last_finished_build_of_the_version_decides(client, user):
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    latest = project.versions[0]
    dev = factories.VersionFactory(project=project, slug="dev", verbose_name="dev", identifier="dev")
    assert _status(client, "/projects/pip/badge/") == "unknown"  # never built

    factories.BuildFactory(version=latest, success=True)
    factories.BuildFactory(version=dev, success=False)
    assert _status(client, "/projects/pip/badge/") == "passing"  # the default version: latest
    assert _status(client, "/projects/pip/badge/?version=latest") == "passing"
    assert _status(client, "/projects/pip/badge/?version=dev&style=flat-square") == "failing"

    factories.BuildFactory(version=latest, state="building", success=None)  # still running
    factories.BuildFactory(version=latest, state="cancelled", success=False)  # says nothing of the docs
    assert _status(client, "/projects/pip/badge/") == "passing"
    factories.BuildFactory(version=latest, success=False)
    assert _status(client, "/projects/pip/badge/?version=latest") == "failing"

    project.default_version = "dev"
    db.session.commit()
    assert _status(client, "/projects/pip/badge/") == "failing"


def test_unknown_for_whatever_an_anonymous_reader_cannot_see(client, user, headers):
    public = factories.ProjectFactory(name="Pub", slug="pub", maintainers=[user])
    hidden_version = factories.VersionFactory(project=public, slug="secret", privacy_level="private")
    inactive = factories.VersionFactory(project=public, slug="old", active=False)
    private = factories.ProjectFactory(name="Priv", slug="priv", maintainers=[user], privacy_level="private")
    for version in (hidden_version, inactive, private.versions[0]):
        factories.BuildFactory(version=version, success=True)

    missing = client.get("/projects/nope/badge/").data
    assert _status(client, "/projects/pub/badge/?version=secret") == "unknown"
    assert _status(client, "/projects/pub/badge/?version=old") == "unknown"
    assert _status(client, "/projects/pub/badge/?version=nope") == "unknown"
    # The maintainer's own credential changes nothing: the badge is the same picture for everyone,
    # byte for byte what a project that does not exist gets.
    assert client.get("/projects/priv/badge/", headers=headers).data == missing
    assert client.get("/projects/priv/badge/?version=latest").data == missing


def test_headers_cache_briefly_and_the_image_can_do_nothing(client, user):
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    factories.BuildFactory(version=project.versions[0], success=True)
    response = client.get("/projects/pip/badge/?version=latest")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert b"<script" not in response.data and b"Pip" not in response.data  # no project text at all


def test_only_on_the_app_origin_and_errors_use_the_contract(client, user):
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    on_docs = client.get("/projects/pip/badge/", base_url="http://docs.localhost")
    assert on_docs.mimetype != "image/svg+xml"
    posted = client.post("/projects/pip/badge/")
    assert posted.status_code == 405 and posted.json["code"] == "method_not_allowed"
