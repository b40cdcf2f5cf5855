"""What a build venv on the worker's own Python may see of the worker's packages: the documentation tools.

Read the Docs gives every build a fresh virtualenv and installs Sphinx or MkDocs into it. Doing that on
every build would cost more than many builds (and needs a package index), so the build venv sees the
tools the worker already has, but only them: the dependency closure of :data:`ROOTS`, taken from the
installed distributions' metadata, is offered as a directory of symbolic links (one per top-level module
and ``.dist-info`` directory) that the venv's ``.pth`` file names. Flask, SQLAlchemy, RQ, redis,
cryptography and the rest of the server are not in it, so a project's pins meet only what a Read the Docs
build would also have, and what the project installs lands in the venv and takes precedence (``.pth``
directories come after the venv's own site-packages; pip treats the linked packages as outside the
environment and installs the project's versions beside them rather than touching the worker's).

The links point into the worker's own installation, which the sandbox mounts read-only; the directory is
written per build into its read-only tools directory (a few hundred links: about a millisecond). Docshelf's
own integrations (the Sphinx extension, the MkDocs plugin) are copied beside it for every venv, whatever
its Python (:func:`copy_integrations`).
"""

from __future__ import annotations

import logging
import os
import shutil
from functools import cache
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

log = logging.getLogger(__name__)

INTEGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "integrations")

#: The tools a Read the Docs build venv holds before the project installs anything: pip, setuptools and
#: wheel (what ``python -m venv`` and Read the Docs' own ``pip install --upgrade`` put there), the two
#: documentation generators, and rinohtype, Docshelf's PDF builder when the host has no LaTeX.
ROOTS = ("pip", "setuptools", "wheel", "sphinx", "mkdocs", "rinohtype")


def _requirements(dist: metadata.Distribution) -> list[str]:
    """Names this distribution needs on this interpreter, extras left out (nobody asked for them)."""
    names = []
    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        names.append(req.name)
    return names


@cache
def closure(roots: tuple[str, ...] = ROOTS) -> tuple[metadata.Distribution, ...]:
    """The installed distributions ``roots`` need, transitively; a root that is not installed is left
    out (a worker without rinohtype simply offers no rinoh builder)."""
    found: dict[str, metadata.Distribution] = {}
    pending = list(roots)
    while pending:
        name = canonicalize_name(pending.pop())
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found[name] = dist
        pending.extend(_requirements(dist))
    return tuple(found[name] for name in sorted(found))


@cache
def entries(roots: tuple[str, ...] = ROOTS) -> tuple[tuple[str, str], ...]:
    """``(name, target)`` for each top-level entry of the closure's site-packages: packages, modules,
    ``.dist-info`` directories. Scripts (``../../bin``) and ``.pth`` files are not taken: a ``.pth``
    could put the rest of the worker back on the path."""
    links: dict[str, str] = {}
    for dist in closure(roots):
        if dist.files is None:  # no RECORD: nothing says what it owns
            log.warning("toolset: %s has no RECORD file; it is not offered to builds", dist.metadata["Name"])
            continue
        for file in dist.files:
            top = file.parts[0] if file.parts else ""
            if not top or top in ("..", "__pycache__") or top.endswith(".pth") or top in links:
                continue
            target = os.path.realpath(str(dist.locate_file(top)))
            if os.path.exists(target):
                links[top] = target
    return tuple(sorted(links.items()))


def write(directory: str) -> list[str]:
    """Fill ``directory`` with the links; returns the distinct targets' parent directories (for a
    sandbox that must mount them)."""
    os.makedirs(directory, exist_ok=True)
    parents = set()
    for name, target in entries():
        os.symlink(target, os.path.join(directory, name))
        parents.add(os.path.dirname(target))
    os.chmod(directory, 0o755)
    return sorted(parents)


def offered() -> list[str]:
    """``name==version`` of each offered distribution, for the build log."""
    return [f"{dist.metadata['Name']}=={dist.version}" for dist in closure()]


def copy_integrations(tools_dir: str) -> str:
    """``<tools>/lib/workers/integrations``: the Sphinx extension and MkDocs plugin, without the rest of
    Docshelf (whose imports need the worker's packages). Returns the ``lib`` directory."""
    lib = os.path.join(tools_dir, "lib")
    target = os.path.join(lib, "workers", "integrations")
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(lib, "workers", "__init__.py"), "w"):
        pass
    for name in os.listdir(INTEGRATIONS):
        if name.endswith(".py"):
            shutil.copyfile(os.path.join(INTEGRATIONS, name), os.path.join(target, name))
    for path, dirs, files in os.walk(lib):
        for name in dirs:
            os.chmod(os.path.join(path, name), 0o755)
        for name in files:
            os.chmod(os.path.join(path, name), 0o644)
    os.chmod(lib, 0o755)
    return lib
