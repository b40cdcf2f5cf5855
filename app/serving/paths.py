"""Path safety: turn a URL path into a file inside one published site, or refuse.

Built sites are untrusted output (a project's ``conf.py`` runs arbitrary code), so two layers guard
every lookup: the URL path is checked segment by segment (no ``..``, backslashes, NUL or control
characters, whatever their percent-encoding was), and the final file's real path must still lie
inside the site's real root, which catches symlinks in the built output that point elsewhere (the local
backend, :mod:`app.storage.local`; object storage has no links, and its keys are built only from cleaned
paths below the live version's prefix, :mod:`app.storage.s3`).
"""

from __future__ import annotations

import os

from app import storage
from app.storage.base import Found
from app.storage.local import find, inside, regular_inside, site_files

DOWNLOAD_EXTENSIONS = {"htmlzip": "zip", "pdf": "pdf", "epub": "epub"}


class UnsafePath(ValueError):
    """The URL path could address something outside the site; answered with 400, never looked up."""


def clean(path: str) -> str:
    """Validate a decoded URL path (relative to some root) and collapse repeated slashes.

    A trailing slash is kept: it decides between ``dir`` → ``dir/`` redirects and serving ``index.html``.
    """
    if any(ord(ch) < 0x20 or ch in "\\\x7f" for ch in path):
        raise UnsafePath("control characters or backslashes in the path")
    segments = [s for s in path.split("/") if s]
    if any(s in (".", "..") for s in segments):
        raise UnsafePath("dot segments in the path")
    joined = "/".join(segments)
    if joined and path.endswith("/"):
        joined += "/"
    return joined


def html_root(project_slug: str, version_slug: str) -> str:
    """The local backend's site directory (for tools that look at the local tree)."""
    return os.path.join(storage.version_dir(project_slug, version_slug), "html")


def has_site(project_slug: str, version_slug: str) -> bool:
    """Whether the version has a published site (``/en/latest`` then asks for its slash)."""
    return storage.backend().has_site(project_slug, version_slug)


def find_page(project_slug: str, version_slug: str, filename: str) -> Found | None:
    """The file ``filename`` (already :func:`clean`) names in a published site, in whichever storage
    holds it; directories give index.html. None when nothing servable is there."""
    return storage.backend().find(project_slug, version_slug, filename)


def find_download(project_slug: str, version_slug: str, fmt: str) -> Found | None:
    """Where ``workers/publish.py`` put a download (``<project>.zip|pdf|epub``), if it is there."""
    name = f"{project_slug}.{DOWNLOAD_EXTENSIONS[fmt]}"
    return storage.backend().download(project_slug, version_slug, name)


__all__ = ["Found", "UnsafePath", "clean", "find", "find_download", "find_page", "has_site", "html_root",
           "inside", "regular_inside", "site_files"]
