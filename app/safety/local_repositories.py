"""Where a repository may come from, as one object the API and the worker both build from the settings.

Local repositories (a path or ``file://``) are read by the worker with the worker's own rights, so a
path is a way to read anything the worker can: another project's repository cache in the data
directory, the published files of a private project. They are therefore accepted only below the
directories an admin lists in ``DOCSHELF_LOCAL_REPOSITORY_ROOTS``, after resolving every symbolic link,
and never inside the data or storage directory even when a root contains them. Git follows two more
indirections by itself, so both are looked at too: a ``.git`` *file* (``gitdir: <elsewhere>``) must
name a directory that passes the same rule, and a repository with ``objects/info/alternates`` (objects
read from another repository) is refused outright.

The check runs when the URL is stored and again right before every fetch. Anyone who can write below
a root can still swap a directory between the two; a root should hold only repositories its owner
trusts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

#: Files through which git reads objects from another repository.
_ALTERNATES = tuple(os.path.join("objects", "info", name) for name in ("alternates", "http-alternates"))


@dataclass(frozen=True)
class RepositoryRules:
    """``private_hosts``: loopback and private-network hosts (``ALLOW_LOCAL_REPOSITORIES``, development);
    ``local_roots``: directories whose repositories may be used by path; ``forbidden``: directories
    that are never a repository source (data and storage directories)."""

    private_hosts: bool = False
    local_roots: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()

    @property
    def local_paths(self) -> bool:
        """Whether git may be allowed the ``file`` protocol at all."""
        return bool(self.local_roots)


def parse_roots(value: Any) -> tuple[str, ...]:
    """``DOCSHELF_LOCAL_REPOSITORY_ROOTS``: a path-separated string (``/srv/git:/home/docs``) or a list."""
    if not value:
        return ()
    items = value.split(os.pathsep) if isinstance(value, str) else list(value)
    return tuple(str(item) for item in items if str(item).strip())


def rules_from_config(config: Mapping[str, Any]) -> RepositoryRules:
    forbidden = [config.get("DATA_DIR"), config.get("STORAGE_DIR")]
    return RepositoryRules(
        private_hosts=bool(config.get("ALLOW_LOCAL_REPOSITORIES")),
        local_roots=parse_roots(config.get("LOCAL_REPOSITORY_ROOTS")),
        forbidden=tuple(str(d) for d in forbidden if d),
    )


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def path_of(url: str) -> str | None:
    """The local path a ``file://`` URL or a plain path names; None for a ``file://`` URL on another host."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    return unquote(parts.path)


def _gitdir(real: str) -> str | None:
    """Where git will read the repository at ``real``: itself, or what its ``.git`` file points at."""
    dotgit = os.path.join(real, ".git")
    if not os.path.isfile(dotgit):
        return real
    try:
        with open(dotgit, encoding="utf-8", errors="replace") as fh:
            first = fh.readline().strip()
    except OSError:
        return None
    if not first.startswith("gitdir:"):
        return None
    return os.path.realpath(os.path.join(real, first[len("gitdir:"):].strip()))


def local_path_error(url: str, rules: RepositoryRules) -> str | None:
    """Why the worker may not read the repository at this local path or ``file://`` URL, or None."""
    if not rules.local_roots:
        return ("Local repositories (paths and file://) are not allowed on this server "
                "(an admin can allow directories with DOCSHELF_LOCAL_REPOSITORY_ROOTS).")
    path = path_of(url)
    if path is None:
        return "file:// URLs must name a path on this server (no host)."
    if not os.path.isabs(path):
        return "A local repository must be given as an absolute path."
    real = os.path.realpath(path)
    problem = _placement_error(real, rules)
    if problem:
        return problem
    gitdir = _gitdir(real)
    if gitdir is None:
        return "The repository's .git file cannot be read."
    if gitdir != real:
        problem = _placement_error(gitdir, rules)
        if problem:
            return f"The repository's .git file points elsewhere: {problem}"
    for candidate in {real, os.path.join(real, ".git"), gitdir}:
        if any(os.path.lexists(os.path.join(candidate, name)) for name in _ALTERNATES):
            return "Repositories that borrow another one's objects (objects/info/alternates) are not allowed."
    return None


def _placement_error(real: str, rules: RepositoryRules) -> str | None:
    for directory in rules.forbidden:
        if _inside(real, os.path.realpath(directory)):
            return "Repositories inside Docshelf's data or storage directory are not allowed."
    if not any(_inside(real, os.path.realpath(root)) for root in rules.local_roots):
        return "Local repositories are allowed only below the directories in DOCSHELF_LOCAL_REPOSITORY_ROOTS."
    return None
