"""Reading a directory tree a build wrote, through directory file descriptors, never following a link.

The build's output (``$READTHEDOCS_OUTPUT``) is written by the project's own code, so any component of
it, including ``_readthedocs`` or ``html`` themselves, may be a symbolic link to the server's secret key,
a FIFO that blocks whoever opens it, or a device node. Path-based code (``os.walk`` + ``open``,
``shutil.copytree``, ``zipfile.write``) follows such links. Here every component is opened relative to
its parent's descriptor with ``O_NOFOLLOW``, starting from a directory the build cannot replace, and
only directories and regular files (checked with ``fstat`` on the open descriptor, so a swap between
the look and the open changes nothing) are handed on; everything else is counted as skipped.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import current_app, has_app_context

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: O_NONBLOCK: opening a FIFO never waits for a writer (it is then refused by the fstat check).
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
#: Deeper directories are skipped: each level holds one descriptor while the walk is below it.
MAX_DEPTH = 64
CHUNK = 1 << 20


class UnsafeOutput(Exception):
    """A path the build controls is not what it must be (a link, a special file, outside the root)."""


@dataclass
class Skipped:
    """What a walk left out: every entry that was not a directory or a regular file."""

    count: int = 0
    examples: list[str] = field(default_factory=list)  # the first few, for the build log

    def add(self, relative: str) -> None:
        self.count += 1
        if len(self.examples) < 10:
            self.examples.append(relative)


def default_root(path: str) -> str:
    """The trusted directory to start from when the caller names none.

    The app's data directory when ``path`` lies in it (the operator chose it, and symbolic links above
    it, e.g. a symlinked checkout running ``make run``, are legitimate), otherwise ``/``; below the root
    no link is ever followed.
    """
    if has_app_context():
        data_dir = os.path.abspath(current_app.config["DATA_DIR"])
        if _relative(path, data_dir) is not None:
            return data_dir
    return os.sep


def _relative(path: str, root: str) -> list[str] | None:
    """``path``'s components below ``root`` (lexically, both normalised), or None when it is outside."""
    path, root = os.path.normpath(os.path.abspath(path)), os.path.normpath(os.path.abspath(root))
    if path == root:
        return []
    prefix = root if root.endswith(os.sep) else root + os.sep
    if not path.startswith(prefix):
        return None
    return path[len(prefix):].split(os.sep)


def open_dir(path: str, root: str | None = None, *, create: bool = False) -> int:
    """A descriptor for directory ``path``, reached from ``root`` without following any link below it.

    ``root`` is trusted and opened normally; each component below it must be a real directory
    (``create`` makes missing ones, mode 0755). Raises :class:`UnsafeOutput` otherwise.
    """
    root = root or default_root(path)
    parts = _relative(path, root)
    if parts is None:
        raise UnsafeOutput(f"{path} is outside {root}")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for name in parts:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, 0o755, dir_fd=fd)
            try:
                child = os.open(name, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
                    raise UnsafeOutput(f"{path}: {name} is not a directory") from exc
                raise
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_file(dir_fd: int, name: str) -> int | None:
    """A read descriptor for regular file ``name`` in ``dir_fd``; None for anything else (links too)."""
    try:
        fd = os.open(name, FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOENT, errno.ENXIO, errno.EACCES, errno.EPERM, errno.EISDIR):
            return None  # a link, gone, a socket, unreadable, a directory
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    os.set_blocking(fd, True)
    return fd


def open_path(path: str, root: str | None = None) -> int | None:
    """:func:`open_file` for an absolute path: its folder through :func:`open_dir`, then the file."""
    folder, name = os.path.split(os.path.normpath(path))
    try:
        dir_fd = open_dir(folder, root)
    except UnsafeOutput:
        return None
    try:
        return open_file(dir_fd, name)
    finally:
        os.close(dir_fd)


def walk(dir_fd: int, skipped: Skipped, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, int | None]]:
    """Yield ``(relative path, None)`` for each directory (parents first) and ``(relative path, fd)``
    for each regular file below ``dir_fd``, in name order; the fd is closed when the walk resumes.

    Everything else (symbolic links, FIFOs, sockets, devices, directories deeper than
    :data:`MAX_DEPTH`) goes to ``skipped``. ``dir_fd`` stays the caller's.
    """
    for name in sorted(os.listdir(dir_fd)):
        relative = f"{prefix}{name}"
        try:
            mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(mode) and depth < MAX_DEPTH:
            try:
                child = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
            except OSError as exc:  # replaced by a link since the look: skip it like one
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT, errno.EACCES):
                    raise
                skipped.add(relative)
                continue
            try:
                yield relative, None
                yield from walk(child, skipped, relative + "/", depth + 1)
            finally:
                os.close(child)
        elif stat.S_ISREG(mode):
            fd = open_file(dir_fd, name)
            if fd is None:
                skipped.add(relative)
                continue
            try:
                yield relative, fd
            finally:
                os.close(fd)
        else:
            skipped.add(relative)


def copy_fd(src: int, dst: int) -> int:
    """Copy an open regular file into another; returns the bytes copied."""
    total = 0
    while chunk := os.read(src, CHUNK):
        view = memoryview(chunk)
        while view:
            written = os.write(dst, view)
            view = view[written:]
        total += len(chunk)
    return total


def create_file(dir_fd: int, name: str) -> int:
    """A new file ``name`` (mode 0644) in ``dir_fd`` for writing, replacing whatever entry was there.

    The old entry is unlinked rather than truncated: a hard link to someone else's file is not
    overwritten, and a symbolic link is not followed.
    """
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=dir_fd)
    return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                   dir_fd=dir_fd)
