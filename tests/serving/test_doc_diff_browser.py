"""Headless Chromium on a pull request's preview that edits one paragraph: the client script compares
the page with the same page of the base version (fetched through the preview host's own
``/_/doc-diff/``) and marks the changed paragraph, not the unchanged one; the file-tree diff lists
exactly the page the PR changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.api.test_pull_requests import project, repo
from tests.browser import allow_host, open_page, screenshot, serve
from tests.serving.doc_diff_site import KEPT, NEW, OLD, build_pr

__all__ = ["project", "repo"]  # fixtures shared with the other preview tests


@pytest.fixture
def preview(app: Flask, client: Any, project: Any, repo: Any,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", "previews.localhost")
    build_pr(client, project, repo)
    with serve(app, "doc-diff-live-server") as url:
        yield url


def test_the_changed_paragraph_is_highlighted_against_the_base_version(preview: str) -> None:
    server = preview
    port = server.rsplit(":", 1)[1]
    root = f"http://pip--7.previews.localhost:{port}"
    with open_page(server) as page:
        allow_host(page, root)
        page.goto(root + "/index.html")
        page.wait_for_selector("html[data-docshelf-doc-diff=on]")
        added = page.locator("[role=main] .doc-diff-added")
        assert added.all_inner_texts() == [NEW]
        assert added.evaluate("node => node.tagName") == "P"
        # highlighted for real: the injected style gives it a background the unchanged paragraph lacks
        kept = page.locator("[role=main] p", has_text=KEPT)
        assert "doc-diff-added" not in (kept.get_attribute("class") or "")
        colour = added.evaluate("node => getComputedStyle(node).backgroundColor")
        assert colour != kept.evaluate("node => getComputedStyle(node).backgroundColor")
        removed = page.locator("[role=main] .doc-diff-removed")
        assert removed.all_inner_texts() == [OLD]
        # the old text right before the new (a replaced paragraph), and nothing else of the page marked
        marks = "() => Array.from(document.querySelectorAll('[data-doc-diff]'), n => n.dataset.docDiff)"
        order = page.evaluate(marks)
        assert order == ["removed", "added"]
        page.click("#docshelf-filetreediff summary")
        changes = page.locator("#docshelf-filetreediff li")
        assert changes.all_inner_texts() == ["modified: index.html"]  # exactly the page the PR changed
        screenshot(page, "preview-doc-diff")
        # "d" (and the banner's button) hides the marks and shows them again
        page.keyboard.press("d")
        assert page.get_attribute("html", "data-docshelf-doc-diff") == "off"
        assert not removed.is_visible()
        page.click("#docshelf-doc-diff-toggle")
        assert page.get_attribute("html", "data-docshelf-doc-diff") == "on" and removed.is_visible()
