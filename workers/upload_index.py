"""Search indexing and the file-tree manifest of docs published through an upload (kind ``upload``).

A build indexes its own output before it is deleted; an upload's pages exist only in storage, so this
job reads them back from there (:meth:`app.storage.Storage.site_files`), with the bounds a build's
indexing has (:mod:`workers.search_index`), and Read the Docs' default ``search.ignore``. It also adds
each page's main-content hash to the build's manifest (:mod:`workers.manifest`), which previews'
file-tree diffs compare. A newer publish of the version makes the job moot: it then does nothing.
"""

from __future__ import annotations

import time

from sqlalchemy.orm import undefer

from app import storage
from app.extensions import db
from app.models import Build, Version
from app.search.parse import parse_html
from app.services.search import IndexedPage, replace_version_index
from app.storage.base import is_page
from workers import manifest
from workers.search_config import SearchSettings
from workers.search_index import MAX_PAGE_BYTES, MAX_PAGES, IndexResult


def index_upload(build_id: int) -> IndexResult | None:
    """Index the version's live site if ``build_id`` is still what it shows; None when it is not."""
    build = db.session.get(Build, build_id, options=[undefer(Build.manifest)])
    version = db.session.get(Version, build.version_id) if build is not None and build.version_id else None
    if build is None or version is None or version.last_build_id != build_id or not build.success:
        return None
    started = time.monotonic()
    backend = storage.backend()
    search = SearchSettings()
    result = IndexResult()
    pages: list[IndexedPage] = []
    files = dict((build.manifest or {}).get("files") or {})
    for found, relative in backend.site_files(version.project.slug, version.slug):
        if not relative.endswith((".html", ".htm")):
            continue
        size = found.stored.size if found.stored is not None else None
        with backend.open(found) as fh:
            data = fh.read(MAX_PAGE_BYTES + 1) if size is None or size <= MAX_PAGE_BYTES else None
        if data is None or len(data) > MAX_PAGE_BYTES:
            result.left_out += 1
            continue
        if relative in files:
            files[relative] = {**files[relative], "main_content_hash": manifest.main_content_hash(data)}
        if not is_page(relative) or search.ignored(relative):
            continue
        if len(pages) >= MAX_PAGES:
            result.left_out += 1
            continue
        pages.append(IndexedPage(relative, parse_html(data.decode("utf-8", errors="replace")),
                                 search.rank(relative)))
    result.pages = len(pages)
    result.rows = replace_version_index(version, pages)
    build.manifest = {"files": files}
    db.session.commit()
    result.seconds = time.monotonic() - started
    return result
