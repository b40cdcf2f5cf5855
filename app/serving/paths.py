"""Path safety: turn a URL path into a file inside one published site, or refuse.

Built sites are untrusted output (a project's ``conf.py`` runs arbitrary code), so two layers guard
every lookup: the URL path is checked segment by segment (no ``..``, backslashes, NUL or control
characters, whatever their percent-encoding was), and the final file's real path must still lie
inside the site's real root, which catches symlinks in the built output that point elsewhere.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from app import storage

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
    return os.path.join(storage.version_dir(project_slug, version_slug), "html")


def download_path(project_slug: str, version_slug: str, fmt: str) -> str:
    """Where ``workers/publish.py`` puts a download (``<project>.zip|pdf|epub``)."""
    name = f"{project_slug}.{DOWNLOAD_EXTENSIONS[fmt]}"
    return os.path.join(storage.version_dir(project_slug, version_slug), "downloads", name)


def inside(root: str, path: str) -> bool:
    """True when ``path`` (after resolving every symlink) is ``root`` or lies below it."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root + os.sep)


@dataclass(frozen=True)
class Found:
    """A lookup result: the file to send, or a directory that needs its trailing slash first."""

    path: str
    needs_slash: bool = False


def find(root: str, filename: str) -> Found | None:
    """The file ``filename`` (already :func:`clean`) names inside ``root``; directories give index.html.

    None when nothing servable is there, including anything whose real path escapes the site.
    """
    if not os.path.isdir(root):
        return None
    candidate = os.path.join(root, filename.rstrip("/")) if filename else root
    if not inside(root, candidate):
        return None
    try:
        mode = os.stat(candidate).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(mode):
        if filename and not filename.endswith("/"):
            return Found(candidate, needs_slash=True)
        index = os.path.join(candidate, "index.html")
        return Found(index) if regular_inside(root, index) else None
    if filename.endswith("/"):  # ``page.html/`` is not a directory: do not serve the file under it
        return None
    return Found(candidate) if stat.S_ISREG(mode) else None


def regular_inside(root: str, path: str) -> bool:
    """A regular file (not a FIFO that would block the sender) whose real path lies inside ``root``."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode) and inside(root, path)
    except OSError:
        return False


def site_files(root: str) -> list[tuple[str, str]]:
    """Every regular file of a site as (absolute path, relative name), symlinks escaping it left out."""
    out: list[tuple[str, str]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if inside(root, os.path.join(folder, d)))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if regular_inside(root, path):
                out.append((path, os.path.relpath(path, root)))
    return out
