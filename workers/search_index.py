"""Indexing a build's pages for server-side search, from the build's own output at publish time.

The html directory is the build's (hostile) output: it is walked with the publishing walk of
:mod:`workers.output_tree` (no link followed, only regular files, bounded depth) and each page read is
bounded too. ``search.ignore`` (glob patterns of pages to leave out; Read the Docs' default: the
search and 404 pages) and ``search.ranking`` (glob pattern → -10…10, the last matching pattern wins)
come from ``.readthedocs.yaml`` and are validated with the rest of the configuration.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from app.models import Version
from app.search.parse import parse_html
from app.services.search import IndexedPage, replace_version_index
from app.storage.base import is_page
from workers import output_tree
from workers.output_tree import Skipped
from workers.search_config import SearchSettings

MAX_PAGE_BYTES = 5 * 1024 * 1024  # a larger page is left out of the index (it is still published)
MAX_PAGES = 20_000
#: Per version, whatever the build wrote: rows (sections and API objects) and characters of their text.
MAX_ROWS = 200_000
MAX_TEXT = 200 * 1024 * 1024


@dataclass
class IndexResult:
    pages: int = 0
    rows: int = 0
    seconds: float = 0.0
    left_out: int = 0  # pages past the bounds (too large, or after the version's limits)

    def summary(self) -> str:
        text = (
            f"Indexed {self.pages} pages ({self.rows} sections and API objects) for search "
            f"in {self.seconds:.2f} s."
        )
        if self.left_out:
            text += (
                f" Left out {self.left_out} pages past the bounds (a page over "
                f"{MAX_PAGE_BYTES // 1024**2} MB, more than {MAX_PAGES:,} pages, {MAX_ROWS:,} sections "
                f"or {MAX_TEXT // 1024**2} MB of text)."
            )
        return text


def _read(fd: int) -> bytes | None:
    if os.fstat(fd).st_size > MAX_PAGE_BYTES:
        return None
    chunks, total = [], 0
    while chunk := os.read(fd, output_tree.CHUNK):
        total += len(chunk)
        if total > MAX_PAGE_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def index_output(
    version: Version, html_dir: str, search: SearchSettings, *, root: str | None = None
) -> IndexResult:
    """Parse the build's pages and make them the version's index (replacing the previous one)."""
    started = time.monotonic()
    result = IndexResult()
    pages: list[IndexedPage] = []
    rows = text = 0
    source = output_tree.open_dir(html_dir, root)
    try:
        for relative, fd in output_tree.walk(source, Skipped()):
            if fd is None or not is_page(relative) or search.ignored(relative):
                continue
            if len(pages) >= MAX_PAGES:
                result.left_out += 1
                continue
            data = _read(fd)
            if data is None:
                result.left_out += 1
                continue
            page = parse_html(data.decode("utf-8", errors="replace"))
            rows += len(page.sections) + len(page.domains)
            text += sum(len(s.content) for s in page.sections) + sum(len(d.content) for d in page.domains)
            if rows > MAX_ROWS or text > MAX_TEXT:
                result.left_out += 1
                continue
            pages.append(IndexedPage(relative, page, search.rank(relative)))
    finally:
        os.close(source)
    result.pages = len(pages)
    result.rows = replace_version_index(version, pages)
    result.seconds = time.monotonic() - started
    return result
