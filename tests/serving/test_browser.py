"""Headless Chromium (Debian's ``chromium`` through Playwright) against a real server on 127.0.0.1.

Opens a page of an older version of the Sphinx and the MkDocs project, checks that the client script
(added by the integration during the real builds) shows the flyout with the versions and the banner
pointing to the same page in the latest version, and saves screenshots under ``test-artifacts/``.
Requests to anything but the test server are aborted: the test never leaves the machine.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests import browser
from tests.browser import docs_origin, open_page, screenshot, serve


@pytest.fixture
def live_server(app: Flask, sites: Any) -> Iterator[str]:
    with serve(app, "docs-live-server") as url:
        yield url


@pytest.fixture
def browser_page(live_server: str) -> Iterator[Any]:
    with open_page(live_server, height=800) as page:
        yield page


@pytest.mark.parametrize(
    ("name", "old_page", "latest_page"),
    [
        ("sphinx", "/docs/shelf-sphinx/en/1.0/guide.html", "/docs/shelf-sphinx/en/latest/guide.html"),
        ("mkdocs", "/docs/shelf-mkdocs/en/1.0/guide/", "/docs/shelf-mkdocs/en/latest/guide/"),
    ],
)
def test_flyout_and_banner_on_an_older_version(browser_page, live_server, name, old_page, latest_page):
    page = browser_page
    docs = docs_origin(live_server)
    page.goto(live_server + old_page)  # the app origin sends it to the docs origin
    assert page.url == docs + old_page
    page.wait_for_selector("html[data-docshelf-addons=ready]")

    banner = page.locator("#docshelf-banner")
    assert banner.is_visible()
    assert "1.0" in banner.inner_text()
    assert banner.locator("a").get_attribute("href") == docs + latest_page

    page.click("#docshelf-flyout button")
    flyout = page.locator("#docshelf-flyout")
    assert flyout.get_attribute("data-open") == "true"
    versions = flyout.locator("dt:text('Versions') ~ dd a")
    assert versions.all_inner_texts()[:2] == ["latest", "1.0"]
    assert flyout.locator("a[aria-current=page]").first.inner_text() == "1.0"
    assert flyout.locator("a", has_text="htmlzip").get_attribute("href") == (
        f"{docs}/_/downloads/shelf-{name}/en/1.0/htmlzip/"
    )
    screenshot(page, f"serving-{name}-1.0")

    banner.locator("a").click()
    page.wait_for_url(docs + latest_page)
    page.wait_for_selector("html[data-docshelf-addons=ready]")
    assert page.locator("#docshelf-banner").count() == 0
    assert page.locator("#docshelf-flyout button").inner_text() == "v: latest"
    screenshot(page, f"serving-{name}-latest", full_page=False)


def test_missing_chromium_fails_on_ci_and_skips_locally(monkeypatch):
    monkeypatch.setattr(browser, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run on CI"):
        browser.require_browser()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        browser.require_browser()
