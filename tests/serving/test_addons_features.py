"""Read the Docs' addons v1 fields (analytics, customscript, notifications, options, doc_diff,
filetreediff): every key path of its own test response, truthful values, per-project settings through
``/api/v3/projects/<p>/addons/``, and the client script honouring them in a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import Project
from tests import factories
from tests.api.helpers import assert_error, token_headers
from tests.browser import docs_origin, open_page, serve
from tests.golden import assert_rtd_shape

PAGE = "http://docs.localhost/docs/shelf-sphinx/en/1.0/guide.html"
SETTINGS = "/api/v3/projects/shelf-sphinx/addons/"


def addons(client: Any, url: str = PAGE) -> dict[str, Any]:
    response = client.get("/_/addons/", query_string={"api-version": "1", "url": url})
    assert response.status_code == 200, response.text
    return response.json  # type: ignore[no-any-return]


def test_every_key_path_of_read_the_docs_answer_is_there(client, sites):
    assert_rtd_shape("addons-v1", addons(client))


def test_defaults_say_what_docshelf_does(client, sites):
    data = addons(client)
    features = data["addons"]
    assert features["analytics"] == {"enabled": False, "code": None}
    assert features["customscript"] == {"enabled": False, "src": None}
    assert features["notifications"] == {"enabled": True, "show_on_latest": False, "show_on_non_stable": True,
                                         "show_on_external": False}
    assert features["options"] == {"load_when_embedded": False, "root_selector": None}
    assert features["flyout"] == {"enabled": True, "position": "bottom-right"}
    # No pull-request builds: nothing to diff against, so both diffs are off, saying where they would look.
    assert features["doc_diff"] == {"enabled": False, "inject_styles": False,
                                    "base_url": "http://docs.localhost/docs/shelf-sphinx/en/latest/guide.html"}
    assert features["filetreediff"] == {"enabled": False}
    assert data["readthedocs"]["analytics"] == {"code": None}
    assert data["versions"]["current"]["source_type"] == "vcs"


def test_analytics_follow_the_project_fields(client, sites, owner_headers):
    patch = client.patch("/api/v3/projects/shelf-sphinx/", json={"analytics_code": "G-TEST123"},
                         headers=owner_headers)
    assert patch.status_code == 204
    assert addons(client)["addons"]["analytics"] == {"enabled": True, "code": "G-TEST123"}
    client.patch("/api/v3/projects/shelf-sphinx/", json={"analytics_disabled": True}, headers=owner_headers)
    assert addons(client)["addons"]["analytics"] == {"enabled": False, "code": "G-TEST123"}


def test_settings_are_read_by_anyone_who_reads_the_project_and_changed_by_maintainers(client, sites,
                                                                                      owner_headers):
    shown = client.get(SETTINGS)
    assert shown.status_code == 200
    assert shown.json["notifications"]["show_on_non_stable"] is True
    assert shown.json["_links"]["_self"].endswith(SETTINGS)
    body = {"notifications": {"show_on_latest": True}, "options": {"root_selector": "main article"},
            "customscript": {"src": "https://cdn.example.com/extra.js"}}
    changed = client.patch(SETTINGS, json=body, headers=owner_headers)
    assert changed.status_code == 200, changed.json
    notifications = {"enabled": True, "show_on_latest": True, "show_on_non_stable": True}
    assert changed.json["notifications"] == notifications
    features = addons(client)["addons"]
    assert features["notifications"]["show_on_latest"] is True
    assert features["options"]["root_selector"] == "main article"
    assert features["customscript"] == {"enabled": True, "src": "https://cdn.example.com/extra.js"}
    # only what differs from the defaults is stored; a null takes the script away again
    stored = db.session.get(Project, sites.sphinx.id).addons_settings
    assert stored["notifications"] == {"show_on_latest": True}
    client.patch(SETTINGS, json={"customscript": {"src": None}}, headers=owner_headers)
    assert addons(client)["addons"]["customscript"] == {"enabled": False, "src": None}


def test_settings_refuse_strangers_and_scripts_that_are_not_https_or_a_path(client, sites, owner_headers):
    embed = {"options": {"load_when_embedded": True}}
    assert_error(client.patch(SETTINGS, json=embed), 401, "auth_required")
    stranger = token_headers(factories.UserFactory(username="mallory"))
    assert_error(client.patch(SETTINGS, json=embed, headers=stranger), 403, "permission_denied")
    for src in ("javascript:alert(1)", "http://cdn.example.com/x.js", "//evil.example/x.js", "data:text/js,1",
                "/x.js\" onload=\"alert(1)", "https://"):
        refused = client.patch(SETTINGS, json={"customscript": {"src": src}}, headers=owner_headers)
        assert_error(refused, 400, "validation_error")
    nowhere = {"flyout": {"position": "middle"}}
    assert_error(client.patch(SETTINGS, json=nowhere, headers=owner_headers), 400, "validation_error")
    vague = {"notifications": {"enabled": "sometimes"}}
    assert_error(client.patch(SETTINGS, json=vague, headers=owner_headers), 400, "validation_error")
    assert addons(client)["addons"]["customscript"]["enabled"] is False
    private = factories.ProjectFactory(name="Hidden", slug="hidden", privacy_level="private")
    assert_error(client.get(f"/api/v3/projects/{private.slug}/addons/"), 404, "not_found")


@pytest.fixture
def live_server(app: Flask, sites: Any) -> Iterator[str]:
    with serve(app, "docs-live-server") as url:
        yield url


def test_the_script_honours_the_settings_in_a_browser(client, sites, owner_headers, live_server):
    stable = sites.version(sites.sphinx, "stable")  # follows the 1.0 tag; shown in the flyout once built
    stable.active = stable.built = True
    db.session.commit()
    custom = "/_/static/docshelf-addons.js?custom=1"  # any script on the docs host will do
    body = {"notifications": {"show_on_latest": True, "show_on_non_stable": False},
            "customscript": {"src": custom}, "flyout": {"position": "top-left"}}
    assert client.patch(SETTINGS, json=body, headers=owner_headers).status_code == 200
    docs = docs_origin(live_server)
    with open_page(live_server, height=800) as page:
        page.goto(docs + "/docs/shelf-sphinx/en/1.0/guide.html")
        page.wait_for_selector("html[data-docshelf-addons=ready]")
        assert page.locator("#docshelf-banner").count() == 0  # show_on_non_stable is off
        assert page.locator("#docshelf-customscript").get_attribute("src") == custom
        flyout = page.locator("#docshelf-flyout")
        assert flyout.get_attribute("data-position") == "top-left"
        box = flyout.bounding_box()
        assert box is not None and box["x"] < 100 and box["y"] < 100
        page.goto(docs + "/docs/shelf-sphinx/en/latest/guide.html")
        page.wait_for_selector("html[data-docshelf-addons=ready]")
        banner = page.locator("#docshelf-banner")
        assert "latest, in-development" in banner.inner_text()
        assert banner.locator("a").get_attribute("href") == docs + "/docs/shelf-sphinx/en/stable/guide.html"
        # Inside a frame the addons stay out unless the project allows it.
        page.set_content(f'<iframe id="f" src="{docs}/docs/shelf-sphinx/en/1.0/guide.html"></iframe>')
        frame = page.frame_locator("#f")
        frame.locator("html[data-docshelf-addons=embedded]").wait_for(state="attached")
        assert frame.locator("#docshelf-flyout").count() == 0
    hidden = client.patch(SETTINGS, json={"flyout": {"enabled": False}}, headers=owner_headers)
    assert hidden.status_code == 200
    with open_page(live_server, height=800) as page:
        page.goto(docs + "/docs/shelf-sphinx/en/1.0/guide.html")
        page.wait_for_selector("html[data-docshelf-addons=ready]")
        assert page.locator("#docshelf-flyout").count() == 0
