"""Chromium on a real build served on 127.0.0.1: press ``/``, type, see results grouped by page, follow
one to its section with the keyboard; hover an internal link and see its preview (the embed API)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.browser import docs_origin, open_page, screenshot, serve
from tests.search.conftest import Indexed


@pytest.fixture
def live_server(app: Flask, indexed: Indexed) -> Iterator[str]:
    with serve(app, "search-live-server") as url:
        yield url


def test_search_modal_and_link_previews(live_server: str) -> None:
    docs = docs_origin(live_server)
    with open_page(live_server, height=900) as page:
        page.goto(docs + "/docs/shelf-search/en/latest/index.html")
        page.wait_for_selector("html[data-docshelf-addons=ready]")

        page.keyboard.press("/")
        box = page.locator("#docshelf-search")
        assert box.is_visible()
        page.keyboard.type("frobnicate")
        page.wait_for_selector("#docshelf-search .ds-results a")
        assert "API reference" in box.locator(".ds-page").first.inner_text()
        first = box.locator(".ds-results a").first
        assert first.locator("span.ds-hit").first.inner_text().lower() == "frobnicate"
        screenshot(page, "search-modal", full_page=False)
        page.keyboard.press("ArrowDown")
        assert first.get_attribute("aria-selected") == "true"
        page.keyboard.press("Enter")
        page.wait_for_url(docs + "/docs/shelf-search/en/latest/api.html#shelfmod.frobnicate")
        page.wait_for_selector("html[data-docshelf-addons=ready]")
        assert page.locator("#docshelf-search").count() == 0

        page.keyboard.press("/")
        page.keyboard.press("Escape")
        assert page.locator("#docshelf-search").count() == 0

        page.goto(docs + "/docs/shelf-search/en/latest/index.html")
        page.wait_for_selector("html[data-docshelf-addons=ready]")
        page.hover("[role=main] a[href='guide.html']")
        preview = page.wait_for_selector("#docshelf-preview")
        assert preview is not None and "shelf.toml" in preview.inner_text()
        screenshot(page, "link-preview", full_page=False)
        page.mouse.move(0, 0)
        page.wait_for_selector("#docshelf-preview", state="detached")


def test_typing_in_a_field_does_not_open_the_modal(live_server: str) -> None:
    with open_page(live_server) as page:
        page.goto(docs_origin(live_server) + "/docs/shelf-child/en/latest/")
        page.wait_for_selector("html[data-docshelf-addons=ready]")
        page.evaluate("document.body.appendChild(Object.assign(document.createElement('input'), {id: 'f'}))")
        page.focus("#f")
        page.keyboard.press("/")
        assert page.locator("#docshelf-search").count() == 0
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("/")
        page.keyboard.type("capacitor")
        link: Any = page.wait_for_selector("#docshelf-search .ds-results a")
        assert link.get_attribute("href").endswith(
            "/docs/shelf-search/projects/child/en/latest/index.html#tuning"
        )
