"""``build.apt_packages``: what the worker host allows, made available to the build without root.

Read the Docs runs ``apt-get install`` as root in a throw-away container. A Docshelf build never has root,
so the worker (outside the sandbox) does what the host's administrator allowed
(``DOCSHELF_BUILD_APT_PACKAGES``): a package the host has installed is simply there (the sandbox mounts
``/usr`` read-only); another is unpacked with ``dpkg-deb -x`` from the package cache
(``DOCSHELF_BUILD_APT_CACHE``, which ``apt-get download`` fills when ``DOCSHELF_BUILD_APT_DOWNLOAD`` is
set) into the build's read-only tools directory, whose ``usr/bin`` and library directories join the
build's ``PATH`` and ``LD_LIBRARY_PATH``. No maintainer script runs and dependencies are not resolved: an
unpacked package's dependencies must be on the host or listed too. Every package that is not provided is
named in a warning; none is dropped silently.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workers.recorder import Recorder
from workers.tools import BuildTools

#: Debian's package name rule (policy 5.6.1), checked before a name reaches any command line.
NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")


@dataclass
class AptResult:
    """What :func:`provide` did: lines for the build log, warnings, and the environment to add."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    library_path: list[str] = field(default_factory=list)


def allowed(setting: str | None) -> set[str] | None:
    """The allow-list; ``None`` means any package (``*``)."""
    names = {n.strip() for n in (setting or "").split(",") if n.strip()}
    return None if "*" in names else names


def host_has(package: str) -> bool:
    """Installed on the worker host (dpkg's status ``ii``)."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", package], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.startswith("ii")


def cached_deb(cache: str, package: str, download: bool) -> str | None:
    """The newest ``<package>_*.deb`` in the cache, fetched first with ``apt-get download`` if allowed."""
    pattern = os.path.join(glob.escape(cache), f"{package}_*.deb")
    if not glob.glob(pattern) and download:
        os.makedirs(cache, exist_ok=True)
        subprocess.run(["apt-get", "download", "-q", package], cwd=cache, capture_output=True, timeout=300)
    found = sorted(glob.glob(pattern))
    return found[-1] if found else None


def unpack(deb: str, root: str) -> None:
    os.makedirs(root, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True, capture_output=True, timeout=300)


def provide(packages: object, settings: Mapping[str, Any], tools_dir: str, tools_inside: str) -> AptResult:
    """Make ``packages`` (the file's ``build.apt_packages``: anything) available as far as allowed."""
    result = AptResult()
    names = packages if isinstance(packages, list) else []
    if not names:
        return result
    allow = allowed(settings.get("BUILD_APT_PACKAGES"))
    cache = settings.get("BUILD_APT_CACHE") or os.path.join(settings["DATA_DIR"], "apt")
    root, unpacked = os.path.join(tools_dir, "apt"), False
    for name in names:
        package = str(name)
        if not NAME.match(package):
            result.warnings.append(f"build.apt_packages: '{package}' is not a Debian package name; skipped.")
        elif allow is not None and package not in allow:
            result.warnings.append(f"build.apt_packages: {package} is not installed: this build server does "
                                   "not allow it (DOCSHELF_BUILD_APT_PACKAGES).")
        elif host_has(package):
            result.lines.append(f"{package}: installed on the build server")
        elif (deb := cached_deb(cache, package, bool(settings.get("BUILD_APT_DOWNLOAD")))) is not None:
            unpack(deb, root)
            unpacked = True
            result.lines.append(f"{package}: unpacked from {os.path.basename(deb)}")
        else:
            result.warnings.append(f"build.apt_packages: {package} is allowed but not available: it is not "
                                   "installed on the build server nor in its package cache.")
    if unpacked:
        multiarch = sysconfig.get_config_var("MULTIARCH") or ""
        result.path = [os.path.join(tools_inside, "apt", d) for d in ("usr/local/bin", "usr/bin", "bin")]
        libs = [f"usr/lib/{multiarch}", "usr/lib", f"lib/{multiarch}"] if multiarch else ["usr/lib"]
        result.library_path = [os.path.join(tools_inside, "apt", d) for d in libs]
        result.lines.append("Unpacked packages are on PATH and LD_LIBRARY_PATH; their dependencies are not "
                            "resolved (they must be on the build server or listed too).")
    for dirpath, dirnames, filenames in os.walk(root):  # readable by the build user, never writable
        for entry in dirnames:
            os.chmod(os.path.join(dirpath, entry), 0o755)
        for entry in filenames:
            full = os.path.join(dirpath, entry)
            if not os.path.islink(full):
                os.chmod(full, 0o755 if os.access(full, os.X_OK) else 0o644)
    return result


def step(rec: Recorder, packages: object, settings: Mapping[str, Any], tools: BuildTools,
         env: dict[str, str]) -> None:
    """The pipeline's system-dependencies step: provide, say so in the log and the API, extend ``env``."""
    done = provide(packages, settings, tools.tools_dir, tools.inside)
    if done.lines or done.warnings:
        rec.note("# build.apt_packages", "".join(f"{x}\n" for x in done.lines + done.warnings),
                 description="Installing system dependencies")
        rec.warn(*done.warnings)
    if done.path:
        env["PATH"] = os.pathsep.join([*done.path, env["PATH"]])
        env["LD_LIBRARY_PATH"] = os.pathsep.join(done.library_path)
