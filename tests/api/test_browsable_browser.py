"""The browsable API in headless Chromium (Debian's ``chromium`` through Playwright) over real HTTP.

A person logs in through /login, walks from /api/v3/ by the links on the pages to a version's builds,
triggers a build with the page's form (fetch with the session cookie and the X-CSRF-Token header),
follows the answer's link to the project's builds and reloads until a real RQ worker has built the
test's git repository. Requests to anything but the test server are aborted; screenshots are kept
under ``test-artifacts/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.services.accounts import create_user
from tests import factories
from tests.browser import open_page, screenshot, serve
from tests.workers.conftest import Repo, sphinx_files, wait_for, work

PASSWORD = "correct horse battery"


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    with serve(app, "browsable-live-server") as url:
        yield url


@pytest.fixture
def browser_page(live_url: str) -> Iterator[Any]:
    with open_page(live_url) as page:
        yield page


def _follow(page: Any, url: str) -> None:
    """Click the first link to ``url`` in the page's raw JSON (one click away), and wait for the page."""
    if page.locator("#raw[open]").count() == 0:
        page.click("#raw summary")
    page.locator(f'#body a[href="{url}"]').first.click()
    page.wait_for_url(url)
    assert page.locator("#status").inner_text() == "HTTP 200 OK"


def _body(page: Any) -> Any:
    return json.loads(page.locator("#body").text_content())


def test_walk_from_the_root_and_trigger_a_build(browser_page, live_url, tmp_path):
    page = browser_page
    alice = create_user("alice", password=PASSWORD)
    repo = Repo(tmp_path / "repo")
    repo.commit(sphinx_files("Walked Docs"), "first")
    factories.ProjectFactory(name="Walk", slug="walk", repository_url=repo.url, maintainers=[alice])
    api = f"{live_url}/api/v3"

    page.goto(f"{api}/projects/")
    assert page.locator("#status").inner_text() == "HTTP 401 Unauthorized"
    page.click("#login-to-continue")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{api}/projects/")  # back where the 401 page was, now signed in
    assert "Signed in as alice" in page.locator(".who").inner_text()

    page.click(".brand")
    page.wait_for_url(f"{live_url}/")  # the landing page, which links the API root
    page.click("#to-api")
    page.wait_for_url(f"{api}/")
    screenshot(page, "browsable-root")
    _follow(page, f"{api}/projects/")
    assert page.locator("#count").inner_text() == "count: 1"
    _follow(page, f"{api}/projects/walk/")
    assert _body(page)["name"] == "Walk"
    assert page.locator("#allowed").inner_text() == "Allow: DELETE, GET, HEAD, OPTIONS, PATCH, PUT"
    _follow(page, f"{api}/projects/walk/versions/")
    _follow(page, f"{api}/projects/walk/versions/latest/builds/")
    assert page.locator("#count").inner_text() == "count: 0"
    crumbs = page.locator(".crumbs").inner_text()
    assert all(part in crumbs for part in ("/api/v3/", "projects", "walk", "versions", "latest", "builds"))

    page.click("#send summary")
    page.select_option("#api-method", "POST")
    page.click("#api-form button")
    page.wait_for_selector("#api-result[data-status='202']")
    assert page.locator("#api-status").inner_text() == "HTTP 202 Accepted"
    answer = json.loads(page.locator("#api-response").inner_text())
    assert answer["triggered"] is True and answer["build"]["state"]["code"] == "triggered"
    screenshot(page, "browsable-triggered")

    # The answer's links are links too: on to the project's builds, where the new build is listed.
    page.locator(f'#api-response a[href="{api}/projects/walk/builds/"]').first.click()
    page.wait_for_url(f"{api}/projects/walk/builds/")
    listed = _body(page)
    assert listed["count"] == 1 and listed["results"][0]["id"] == answer["build"]["id"]
    assert listed["results"][0]["success"] is None

    work()  # a real RQ worker runs the queued build: clone, Sphinx, publish

    def finished() -> bool:
        page.reload()
        return bool(_body(page)["results"][0]["state"]["code"] == "finished")

    wait_for(finished, timeout=60, interval=0.5)
    build = _body(page)["results"][0]
    assert build["success"] is True, build
    assert page.locator(f'#body a[href="{build["_links"]["_self"]}"]').count() == 1
    assert page.locator(f'#results a.row-link[href="{build["_links"]["_self"]}"]').count() == 1
    screenshot(page, "browsable-finished")
