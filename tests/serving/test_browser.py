"""Headless Chromium (Debian's ``chromium`` through Playwright) against a real server on 127.0.0.1.

Opens a page of an older version of the Sphinx and the MkDocs project, checks that the client script
(added by the integration during the real builds) shows the flyout with the versions and the banner
pointing to the same page in the latest version, and saves screenshots under ``test-artifacts/``.
Requests to anything but the test server are aborted: the test never leaves the machine.
"""

from __future__ import annotations

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
def live_server(app: Flask, sites: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="docs-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def browser_page(live_server: str) -> Iterator[Any]:
    sync_api = _require_browser()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.route("**/*", lambda route: _loopback_only(route, live_server))
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def _loopback_only(route: Any, server: str) -> None:
    if route.request.url.startswith(server + "/"):
        route.continue_()
    else:
        route.abort()


@pytest.mark.parametrize(
    ("name", "old_page", "latest_page"),
    [
        ("sphinx", "/docs/shelf-sphinx/en/1.0/guide.html", "/docs/shelf-sphinx/en/latest/guide.html"),
        ("mkdocs", "/docs/shelf-mkdocs/en/1.0/guide/", "/docs/shelf-mkdocs/en/latest/guide/"),
    ],
)
def test_flyout_and_banner_on_an_older_version(browser_page, live_server, name, old_page, latest_page):
    page = browser_page
    page.goto(live_server + old_page)
    page.wait_for_selector("html[data-docshelf-addons=ready]")

    banner = page.locator("#docshelf-banner")
    assert banner.is_visible()
    assert "1.0" in banner.inner_text()
    assert banner.locator("a").get_attribute("href") == live_server + latest_page

    page.click("#docshelf-flyout button")
    flyout = page.locator("#docshelf-flyout")
    assert flyout.get_attribute("data-open") == "true"
    versions = flyout.locator("dt:text('Versions') ~ dd a")
    assert versions.all_inner_texts()[:2] == ["latest", "1.0"]
    assert flyout.locator("a[aria-current=page]").first.inner_text() == "1.0"
    assert flyout.locator("a", has_text="htmlzip").get_attribute("href") == (
        f"{live_server}/_/downloads/shelf-{name}/en/1.0/htmlzip/"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"serving-{name}-1.0.png"), full_page=True)

    banner.locator("a").click()
    page.wait_for_url(live_server + latest_page)
    page.wait_for_selector("html[data-docshelf-addons=ready]")
    assert page.locator("#docshelf-banner").count() == 0
    assert page.locator("#docshelf-flyout button").inner_text() == "v: latest"
    page.screenshot(path=str(ARTIFACTS / f"serving-{name}-latest.png"))


def test_missing_chromium_fails_on_ci_and_skips_locally(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run on CI"):
        _require_browser()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        _require_browser()
