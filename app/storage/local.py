"""The local directory backend: ``<STORAGE_DIR>/<project>/<version>/html/`` and ``.../downloads/``.

Built sites are untrusted output, so a lookup's real path must lie inside the site's real root, which
catches symbolic links pointing elsewhere (publishing copies none, but the directory may be shared).
Publishing stages the version next to the live directory and swaps the two: Linux's
``renameat2(RENAME_EXCHANGE)`` does it atomically; where it is missing, two renames leave a window of
microseconds. A build that fails before the swap never touches the published directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import tempfile
from typing import BinaryIO

from app.storage.base import BLOBS, DOWNLOADS, HTML, BlobSink, Found, Storage, Upload, check_digest

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_CHUNK = 1 << 20


def inside(root: str, path: str) -> bool:
    """True when ``path`` (after resolving every symlink) is ``root`` or lies below it."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root + os.sep)


def regular_inside(root: str, path: str) -> bool:
    """A regular file (not a FIFO that would block the sender) whose real path lies inside ``root``."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode) and inside(root, path)
    except OSError:
        return False


def find(root: str, filename: str) -> Found | None:
    """The file ``filename`` (already cleaned) names inside ``root``; directories give index.html.

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


def blob_path(root: str, project: str, digest: str) -> str:
    """Where the project's blob ``digest`` lives (fanned out by its first two characters)."""
    check_digest(digest)
    return os.path.join(root, project, BLOBS, digest[:2], digest)


class LocalBlobSink(BlobSink):
    """A temporary file among the project's blobs, renamed to its digest when committed (so a blob
    name never holds a partial or unchecked file)."""

    def __init__(self, root: str, project: str) -> None:
        self.root, self.project = root, project
        folder = os.path.join(root, project, BLOBS)
        os.makedirs(folder, 0o755, exist_ok=True)
        fd, self.temp = tempfile.mkstemp(prefix=".incoming-", dir=folder)
        self.file = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self, digest: str) -> None:
        target = blob_path(self.root, self.project, digest)
        self.file.close()
        os.chmod(self.temp, 0o644)
        os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
        os.replace(self.temp, target)  # an existing blob of that name has the same bytes

    def abort(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temp)


class LocalUpload(Upload):
    """A staging directory next to the live one (same filesystem, so the swap is a rename)."""

    def __init__(self, live: str, staging: str, build_id: int, root: str = "") -> None:
        self.location = live
        self.staging = staging
        self.build_id = build_id
        self.root = root
        shutil.rmtree(staging, ignore_errors=True)
        os.mkdir(staging, 0o755)

    def _path(self, area: str, relative: str) -> str:
        return os.path.join(self.staging, area, relative) if relative else os.path.join(self.staging, area)

    def mkdir(self, area: str, relative: str) -> None:
        os.makedirs(self._path(area, relative), 0o755, exist_ok=True)

    def put(self, area: str, relative: str, fd: int) -> None:
        path = self._path(area, relative)
        os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            while chunk := os.read(fd, _CHUNK):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
        finally:
            os.close(out)

    def put_blob(self, area: str, relative: str, project: str, digest: str) -> None:
        """A hard link to the blob (blobs and sites are never written in place), else a copy."""
        source = blob_path(self.root, project, digest)
        path = self._path(area, relative)
        os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
        try:
            os.link(source, path, follow_symlinks=False)
            return
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            self.put(area, relative, fd)
        finally:
            os.close(fd)

    def commit(self) -> None:
        live, parent = self.location, os.path.dirname(self.location)
        version = os.path.basename(live)
        if not os.path.exists(live):
            os.rename(self.staging, live)
            return
        if _exchange(self.staging, live):
            shutil.rmtree(self.staging, ignore_errors=True)  # now holds the previous site
            return
        retired = os.path.join(parent, f".retired-{version}-{self.build_id}")
        os.rename(live, retired)
        os.rename(self.staging, live)
        shutil.rmtree(retired, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


class LocalStorage(Storage):
    """Files under one directory; served with ``send_file`` or nginx's ``X-Accel-Redirect``."""

    local = True

    def __init__(self, root: str) -> None:
        self.root = root

    def version_dir(self, project: str, version: str) -> str:
        return os.path.join(self.root, project, version)

    def html_root(self, project: str, version: str) -> str:
        return os.path.join(self.version_dir(project, version), HTML)

    def has_site(self, project: str, version: str) -> bool:
        return os.path.isdir(self.html_root(project, version))

    def find(self, project: str, version: str, filename: str) -> Found | None:
        return find(self.html_root(project, version), filename)

    def download(self, project: str, version: str, name: str) -> Found | None:
        path = os.path.join(self.version_dir(project, version), DOWNLOADS, name)
        return Found(path) if regular_inside(self.version_dir(project, version), path) else None

    def site_files(self, project: str, version: str) -> list[tuple[Found, str]]:
        return [(Found(path), name) for path, name in site_files(self.html_root(project, version))]

    def open(self, found: Found) -> BinaryIO:
        return open(found.path, "rb")

    def begin(self, project: str, version: str, build_id: int) -> Upload:
        live = self.version_dir(project, version)
        parent = os.path.dirname(live)
        os.makedirs(parent, exist_ok=True)
        # Dot-names cannot collide with version slugs, and the same directory keeps the rename atomic.
        return LocalUpload(live, os.path.join(parent, f".staging-{version}-{build_id}"), build_id, self.root)

    def blob_sink(self, project: str) -> BlobSink:
        return LocalBlobSink(self.root, project)

    def remove_version(self, project: str, version: str) -> None:
        shutil.rmtree(self.version_dir(project, version), ignore_errors=True)

    def remove_project(self, project: str) -> None:
        shutil.rmtree(os.path.join(self.root, project), ignore_errors=True)
