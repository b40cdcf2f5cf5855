"""The browsable API in headless Chromium (Debian's ``chromium`` through Playwright) over real HTTP.

A person logs in through /login, walks from /api/v3/ by the links on the pages to a version's builds,
triggers a build with the page's form (fetch with the session cookie and the X-CSRF-Token header),
follows the answer's link to the project's builds and reloads until a real RQ worker has built the
test's git repository. Requests to anything but the test server are aborted; screenshots are kept
under ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app.services.accounts import create_user
from tests import factories
from tests.workers.conftest import Repo, sphinx_files, wait_for, work

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery"


def _require_browser() -> Any:
    """Playwright's sync API, or a loud failure on CI / a clear skip locally when Chromium is missing."""
    problem = None
    sync_api: Any = None
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        problem = f"Debian's chromium is not installed ({CHROMIUM} missing; apt-get install -y chromium)"
    try:
        from playwright import sync_api
    except ImportError:
        problem = problem or "the playwright package is not installed (.venv/bin/pip install playwright)"
    if problem:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser test cannot run on CI: {problem}", pytrace=False)
        pytest.skip(problem)
    return sync_api


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The real WSGI app over HTTP in a thread; each request gets its own app context."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browsable-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def clean_build_dirs(app: Flask) -> Iterator[None]:
    """Builds leave files outside the database (published site, clone cache, build directory)."""
    yield
    for path in (
        app.config["STORAGE_DIR"],
        os.path.join(app.config["DATA_DIR"], "repos"),
        os.path.join(app.config["DATA_DIR"], "builds"),
    ):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def browser_page(live_url: str) -> Iterator[Any]:
    sync_api = _require_browser()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route("**/*", lambda route: _loopback_only(route, live_url))
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def _loopback_only(route: Any, server: str) -> None:
    if route.request.url.startswith(server + "/"):
        route.continue_()
    else:
        route.abort()


def _screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"browsable-{name}.png"), full_page=True)


def _follow(page: Any, url: str) -> None:
    """Click the first link to ``url`` in the page's JSON, as a person would, and wait for the page."""
    page.locator(f'#body a[href="{url}"]').first.click()
    page.wait_for_url(url)
    assert page.locator("#status").inner_text() == "HTTP 200 OK"


def _body(page: Any) -> Any:
    return json.loads(page.locator("#body").inner_text())


@pytest.mark.usefixtures("clean_build_dirs")
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
    page.wait_for_url(f"{api}/")
    _screenshot(page, "root")
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

    page.select_option("#api-method", "POST")
    page.click("#api-form button")
    page.wait_for_selector("#api-result[data-status='202']")
    assert page.locator("#api-status").inner_text() == "HTTP 202 Accepted"
    answer = json.loads(page.locator("#api-response").inner_text())
    assert answer["triggered"] is True and answer["build"]["state"]["code"] == "triggered"
    _screenshot(page, "triggered")

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
    _screenshot(page, "finished")


def test_missing_chromium_fails_on_ci_and_skips_locally(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run on CI"):
        _require_browser()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        _require_browser()
