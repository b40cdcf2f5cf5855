"""Atomic publishing into storage: stage a complete version directory, then swap it in with one rename.

Readers (the docs server) therefore see either the old site or the new one, never a mix; a build that
fails before this step never touches the published directory. Linux's ``renameat2(RENAME_EXCHANGE)``
swaps two directories atomically; where it is missing, two renames leave a window of microseconds.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import zipfile

from app import storage

DOWNLOAD_EXTENSIONS = {"htmlzip": "zip", "pdf": "pdf", "epub": "epub"}
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def download_name(project_slug: str, fmt: str) -> str:
    """File name of a download inside ``<version>/downloads/`` (``<project>.zip``, ``.pdf``, ``.epub``)."""
    return f"{project_slug}.{DOWNLOAD_EXTENSIONS[fmt]}"


def make_htmlzip(html_dir: str, target: str, top: str) -> str:
    """Zip the built HTML under a ``<project>-<version>/`` folder, the way Read the Docs ships htmlzip."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for folder, _dirs, files in os.walk(html_dir):
            for name in sorted(files):
                path = os.path.join(folder, name)
                archive.write(path, os.path.join(top, os.path.relpath(path, html_dir)))
    return target


def _exchange(a: str, b: str) -> bool:
    """Swap two paths atomically; False when the kernel or filesystem cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), b)


def _move(src: str, dst: str) -> None:
    try:
        os.rename(src, dst)  # same filesystem: free
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copytree(src, dst, symlinks=True)
        shutil.rmtree(src, ignore_errors=True)


def publish(project_slug: str, version_slug: str, html_dir: str, downloads: dict[str, str], build_id: int,
            storage_dir: str | None = None) -> str:
    """Stage html/ and downloads/ next to the live directory, then swap; returns the live path."""
    live = storage.version_dir(project_slug, version_slug, storage_dir)
    parent = os.path.dirname(live)
    os.makedirs(parent, exist_ok=True)
    # Dot-names cannot collide with version slugs, and being in the same directory keeps rename atomic.
    staging = os.path.join(parent, f".staging-{version_slug}-{build_id}")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        _move(html_dir, os.path.join(staging, "html"))
        if downloads:
            os.makedirs(os.path.join(staging, "downloads"))
            for fmt, path in downloads.items():
                _move(path, os.path.join(staging, "downloads", download_name(project_slug, fmt)))
        if not os.path.exists(live):
            os.rename(staging, live)
            return live
        if _exchange(staging, live):
            shutil.rmtree(staging, ignore_errors=True)  # now holds the previous site
            return live
        retired = os.path.join(parent, f".retired-{version_slug}-{build_id}")
        os.rename(live, retired)
        os.rename(staging, live)
        shutil.rmtree(retired, ignore_errors=True)
        return live
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
