"""The worker's own reads and writes inside a build directory, which the build's code may have rigged.

A sandboxed step can leave symbolic links anywhere in its directory (``_readthedocs`` pointing at the
host's ``/``, ``conf.py`` at the secret key). Inside the sandbox they lead nowhere harmful; in the
worker, outside it, following one would read or write the host. Between two steps nothing of the
build runs (each step's PID namespace ended with it), so checking a path and then using it is safe.
"""

from __future__ import annotations

import os
import stat

from workers.recorder import BuildFailed


def _components(root: str, path: str) -> list[str]:
    root = os.path.abspath(root)
    path = os.path.abspath(path)
    if path != root and not path.startswith(root + os.sep):
        raise BuildFailed(f"{path} is outside the build directory.")
    relative = os.path.relpath(path, root)
    return [] if relative == "." else relative.split(os.sep)


def real_dir(root: str, path: str, *, create: bool = True) -> str:
    """``path`` under ``root`` as a real directory (made when missing); a link on the way fails the build."""
    current = os.path.abspath(root)
    for name in _components(root, path):
        current = os.path.join(current, name)
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            if not create:
                raise BuildFailed(f"{current} does not exist.") from None
            os.mkdir(current, 0o755)
            continue
        if not stat.S_ISDIR(info.st_mode):
            raise BuildFailed(f"{os.path.relpath(current, root)} is a symbolic link or not a directory; "
                              "the build may not redirect its own directories.")
    return current


def real_file(root: str, path: str) -> bool:
    """Whether ``path`` is a regular file reached without any link (its directories checked too)."""
    try:
        real_dir(root, os.path.dirname(path), create=False)
        return stat.S_ISREG(os.lstat(path).st_mode)
    except (BuildFailed, OSError):
        return False


def real_file_or_dir(root: str, path: str) -> bool:
    """Whether ``path`` exists as a directory or regular file reached without any link."""
    try:
        real_dir(root, os.path.dirname(path), create=False)
        mode = os.lstat(path).st_mode
    except (BuildFailed, OSError):
        return False
    return stat.S_ISDIR(mode) or stat.S_ISREG(mode)


def prepare_target(root: str, path: str) -> str:
    """Make ``path``'s directory real and remove whatever non-directory is at ``path``."""
    real_dir(root, os.path.dirname(path))
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass
    return path
