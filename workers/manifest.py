"""A published site's manifest: every file's path and SHA-256, plus the hash of each HTML page's main
content (Read the Docs' ``main_content_hash``), for a preview's file-tree diff against its base version.

Hashing whole pages would report every page of a preview as changed: the navigation, the version
name in the page and the canonical link differ between any two versions. The main content is the
element with ``role="main"`` (Sphinx and MkDocs themes), else ``<main>``, else ``<body>``; its text and
tags are hashed, whitespace-normalised. The manifest is read from Docshelf's own copy of the site (the
live directory ``publish`` just wrote, regular files only), never from the build's output.
"""

from __future__ import annotations

import hashlib
import os
from html.parser import HTMLParser
from typing import Any

#: Pages larger than this are hashed whole (parsing them is not worth the memory).
MAX_PARSED = 8 * 1024 * 1024


class _MainContent(HTMLParser):
    """Collects the tags and text inside the first main-content element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[str]] = {"main": [], "tag": [], "body": []}
        self.depth: dict[str, int] = {"main": 0, "tag": 0, "body": 0}
        self.done: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kinds = []
        if ("role", "main") in attrs:
            kinds.append("main")
        if tag == "main":
            kinds.append("tag")
        if tag == "body":
            kinds.append("body")
        for kind, depth in self.depth.items():
            if depth:
                self.depth[kind] = depth + 1
                self.parts[kind].append(f"<{tag}>")
        for kind in kinds:
            if kind not in self.done and not self.depth[kind]:
                self.depth[kind] = 1

    def handle_endtag(self, tag: str) -> None:
        for kind, depth in self.depth.items():
            if depth:
                self.depth[kind] = depth - 1
                if depth == 1:
                    self.done.add(kind)
                else:
                    self.parts[kind].append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        for kind, depth in self.depth.items():
            if depth:
                self.parts[kind].append(data)

    def content(self) -> str | None:
        for kind in ("main", "tag", "body"):
            if self.parts[kind] or kind in self.done:
                return " ".join("".join(self.parts[kind]).split())
        return None


def main_content_hash(data: bytes) -> str:
    """SHA-256 of a page's main content (the whole file when it has none or is too large)."""
    if len(data) <= MAX_PARSED:
        parser = _MainContent()
        try:
            parser.feed(data.decode("utf-8", "replace"))
            parser.close()
        except Exception:  # HTMLParser is lenient; anything else means "hash it whole"
            parser = _MainContent()
        text = parser.content()
        if text is not None:
            return hashlib.sha256(text.encode()).hexdigest()
    return hashlib.sha256(data).hexdigest()


def of_site(html_dir: str) -> dict[str, Any]:
    """``{"files": {relative path: {"sha256": ..., "main_content_hash": ... (HTML only)}}}``."""
    files: dict[str, dict[str, str]] = {}
    for directory, _dirs, names in os.walk(html_dir):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            relative = os.path.relpath(path, html_dir).replace(os.sep, "/")
            if name.endswith(".html"):
                with open(path, "rb") as fh:
                    data = fh.read()
                files[relative] = {"sha256": hashlib.sha256(data).hexdigest(),
                                   "main_content_hash": main_content_hash(data)}
            else:
                digest = hashlib.sha256()
                with open(path, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(chunk)
                files[relative] = {"sha256": digest.hexdigest()}
    return {"files": dict(sorted(files.items()))}
