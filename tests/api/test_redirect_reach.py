"""A redirect whose ``from_url`` repeats what the docs server takes off the path can never match; it is
refused at creation with a 400 that says what to write instead, and the corrected one works."""

from __future__ import annotations

import os
from typing import Any

import pytest

from app.models import Redirect
from tests import factories
from tests.api.helpers import assert_error

LIST = "/api/v3/projects/pip/redirects/"


@pytest.fixture
def pip(user: Any) -> Any:
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    factories.VersionFactory(project=project, slug="stable")
    return project


def _post(client: Any, headers: Any, kind: str, from_url: str) -> Any:
    return client.post(LIST, json={"type": kind, "from_url": from_url, "to_url": "/new/"}, headers=headers)


@pytest.mark.parametrize(("kind", "from_url", "instead"), [
    ("exact", "/docs/pip/en/latest/old/", "/en/latest/old"),
    ("exact", "/docs/pip/*", "/*"),
    ("page", "/docs/pip/en/latest/old.html", "/en/latest/old.html"),
    ("page", "/en/latest/old/", "/old"),
    ("page", "/en/stable/guide/*", "/guide/*"),
])
def test_a_from_url_repeating_the_served_prefix_is_refused(client, headers, pip, kind, from_url, instead):
    response = _post(client, headers, kind, from_url)
    body = assert_error(response, 400, "validation_error", "validation")
    [message] = body["errors"]["from_url"]
    assert f"write {instead}" in message and "never matches" in message
    assert Redirect.query.count() == 0


@pytest.mark.parametrize(("kind", "from_url"), [
    ("exact", "/en/latest/old/"),  # exact rules match below the project's root: this one is right
    ("page", "/old/"),
    ("page", "/en/unknown-version/x"),  # not a version of the project: may be a real folder
    ("exact", "/docs/other/old/"),
])
def test_reachable_from_urls_are_accepted(client, headers, pip, kind, from_url):
    assert _post(client, headers, kind, from_url).status_code == 201


def test_changing_a_redirect_to_an_unreachable_from_url_is_refused(client, headers, pip):
    created = _post(client, headers, "exact", "/en/latest/old/").json
    url = f"{LIST}{created['pk']}/"
    refused = client.patch(url, json={"type": "page"}, headers=headers)  # /en/latest/ inside a version
    assert_error(refused, 400, "validation_error", "validation")
    assert client.patch(url, json={"enabled": False}, headers=headers).status_code == 200


def test_the_suggested_redirect_is_served(client, headers, pip, app):
    site = os.path.join(app.config["STORAGE_DIR"], "pip", "latest", "html")
    os.makedirs(site)
    with open(os.path.join(site, "new.html"), "w") as fh:
        fh.write("<p>new</p>")
    refused = _post(client, headers, "exact", "/docs/pip/en/latest/old.html").json["errors"]["from_url"][0]
    suggested = refused.rsplit("write ", 1)[1].split(" ")[0].rstrip(";.")
    assert client.post(LIST, json={"type": "exact", "from_url": suggested, "to_url": "/en/latest/new.html"},
                       headers=headers).status_code == 201
    answer = client.get("/docs/pip/en/latest/old.html")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/docs/pip/en/latest/new.html")
