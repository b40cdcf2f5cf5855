"""What a build sandbox mounts: the read-only system view and the worker's own Python (workers.sandbox).

Only an allowlist of ``/etc`` goes in (certificates, the dynamic linker's cache, pip's configuration...):
``/etc/shadow`` and the like stay out even where the build user could read them.
"""

from __future__ import annotations

import os
import sys
from functools import cache

ETC_FILES = ("alternatives", "ssl", "ca-certificates", "ca-certificates.conf", "ld.so.cache", "ld.so.conf",
             "ld.so.conf.d", "localtime", "nsswitch.conf", "fonts", "mime.types", "protocols", "services",
             "gai.conf", "host.conf", "pip.conf", "xdg/pip", "python3", "python3.11", "mkdocs",
             "texmf")
#: Outside /usr and /etc, read-only where the host has them: TeX's generated formats and font maps.
VAR_DIRS = ("/var/lib/texmf",)


def mounts_of_python() -> list[str]:
    """The worker's interpreter, virtualenv and Docshelf's own packages, read-only (never writable)."""
    import app as app_package
    import workers as workers_package

    paths = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for package in (app_package, workers_package):  # an editable install lives outside the prefix
        paths.add(os.path.dirname(os.path.abspath(package.__file__ or "")))
    paths = {os.path.realpath(p) for p in paths} | paths
    ordered = sorted(p for p in paths if os.path.isdir(p) and not p.startswith(("/usr/", "/etc/")))
    return [arg for p in ordered for arg in ("--ro-bind", p, p)]


@cache
def system_mounts() -> tuple[str, ...]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_FILES:
        path = os.path.join("/etc", name)
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    for path in VAR_DIRS:
        if os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return tuple(args + mounts_of_python())


def parents(paths: list[str]) -> list[str]:
    """``--dir`` arguments making every ancestor of ``paths`` traversable by the build user (bubblewrap
    would otherwise create them with the mode of the real ones, such as root's 0700 home)."""
    ancestors: set[str] = set()
    for path in paths:
        parent = os.path.dirname(path.rstrip("/"))
        while parent not in ("/", ""):
            ancestors.add(parent)
            parent = os.path.dirname(parent)
    ordered = sorted(ancestors, key=lambda p: (p.count("/"), p))
    outside_usr = [p for p in ordered if p != "/usr" and not p.startswith("/usr/")]  # /usr itself is mounted
    return [arg for p in outside_usr for arg in ("--perms", "0755", "--dir", p)]
