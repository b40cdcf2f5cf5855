"""A published site's manifest: every file's path and SHA-256, plus the hash of each HTML page's main
content (Read the Docs' ``main_content_hash``), for a preview's file-tree diff against its base version.

Hashing whole pages would report every page of a preview as changed: the navigation, the version
name in the page and the canonical link differ between any two versions. The main content is the
element with ``role="main"`` (Sphinx and MkDocs themes), else ``<main>``, else ``<body>``; its text and
tags are hashed, whitespace-normalised. The manifest is read from the build's output exactly as
publishing reads it (no link followed, regular files only), so it describes the published copy in
local or object storage alike.
"""

from __future__ import annotations

import hashlib
import os
from html.parser import HTMLParser
from typing import Any

from workers import output_tree
from workers.output_tree import Skipped

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


def _read(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def of_site(html_dir: str, root: str | None = None) -> dict[str, Any]:
    """``{"files": {relative path: {"sha256": ..., "main_content_hash": ... (HTML only)}}}`` of the
    site at ``html_dir``, walked as publishing walks it (:mod:`workers.output_tree`: below ``root`` no
    link is followed, only regular files count), so it lists exactly what was published, whichever
    storage holds the copy."""
    files: dict[str, dict[str, str]] = {}
    dir_fd = output_tree.open_dir(html_dir, root)
    try:
        for relative, fd in output_tree.walk(dir_fd, Skipped()):
            if fd is None:
                continue
            data = _read(fd)
            entry = {"sha256": hashlib.sha256(data).hexdigest()}
            if relative.endswith(".html"):
                entry["main_content_hash"] = main_content_hash(data)
            files[relative] = entry
    finally:
        os.close(dir_fd)
    return {"files": dict(sorted(files.items()))}
