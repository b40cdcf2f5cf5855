"""Headless Chromium on a pull request's preview: its own host (``*.localhost`` resolves to loopback in
Chromium), the client script's banner naming the PR and its commit, linking to the PR; no flyout entry
for the preview on the published docs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.api.test_pull_requests import PR_URL, project, repo
from tests.browser import allow_host, docs_origin, open_page, screenshot, serve
from tests.serving.test_previews import built

__all__ = ["built", "project", "repo"]  # fixtures shared with the other preview tests


@pytest.fixture
def live(app: Flask, built: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", "previews.localhost")
    with serve(app, "previews-live-server") as url:
        port = url.rsplit(":", 1)[1]
        yield url, f"http://pip--7.previews.localhost:{port}"


def test_the_preview_shows_the_pull_request_banner(live: tuple[str, str], built: str) -> None:
    server, preview = live
    with open_page(server) as page:
        allow_host(page, preview)
        page.goto(preview + "/")
        page.wait_for_selector("html[data-docshelf-addons=ready]")
        assert "Preview of the change" in page.content()
        banner = page.locator("#docshelf-external-banner")
        assert banner.is_visible()
        text = banner.inner_text()
        assert f"pull request #7 (commit {built[:7]}), not the published docs" in text
        assert banner.locator("a").first.get_attribute("href") == PR_URL
        assert page.locator("#docshelf-banner").count() == 0  # not the "older version" banner
        page.click("#docshelf-filetreediff summary")
        changes = page.locator("#docshelf-filetreediff li")
        assert changes.all_inner_texts() == ["modified: index.html"]  # exactly the page the PR changed
        assert changes.locator("a").get_attribute("href") == preview + "/index.html"
        screenshot(page, "preview-pr-7")

        page.goto(docs_origin(server) + "/docs/pip/en/latest/")
        page.wait_for_selector("html[data-docshelf-addons=ready]")
        assert page.locator("#docshelf-external-banner").count() == 0
        page.click("#docshelf-flyout button")
        versions = page.locator("#docshelf-flyout dt:text('Versions') ~ dd a").all_inner_texts()
        assert versions == ["latest"]
