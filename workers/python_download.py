"""``build.tools.python`` versions the worker host lacks, obtained with ``uv python install`` when allowed.

Read the Docs' image has every supported Python. A Docshelf worker offers what its host has
(:mod:`workers.tools`) and, with ``DOCSHELF_BUILD_PYTHON_DOWNLOAD``, asks uv for the rest: uv downloads
a standalone CPython (from ``DOCSHELF_BUILD_PYTHON_MIRROR`` when set) into ``<data dir>/pythons``, where
the next build finds it. This runs in the worker, outside the sandbox, before any project code; the
interpreter's directory is then mounted read-only into the build like any other offered Python.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from typing import Any


def install_dir(settings: Mapping[str, Any]) -> str:
    return os.path.join(settings["DATA_DIR"], "pythons")


def _env(settings: Mapping[str, Any]) -> dict[str, str]:
    """uv's environment: only what it needs, never the worker's secrets or the user's uv config."""
    root = install_dir(settings)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": root, "UV_NO_CONFIG": "1",
           "UV_PYTHON_INSTALL_DIR": root, "UV_CACHE_DIR": os.path.join(root, ".cache"),
           "UV_SYSTEM_CERTS": "1", "UV_PYTHON_DOWNLOADS": "automatic"}
    mirror = settings.get("BUILD_PYTHON_MIRROR")
    if mirror:
        env["UV_PYTHON_INSTALL_MIRROR"] = str(mirror)
    return env


def obtain(uv: str | None, version: str, settings: Mapping[str, Any]) -> tuple[str | None, str]:
    """``(interpreter, "")`` once uv has Python ``version`` (installed now or by an earlier build), or
    ``(None, why)``; ``(None, "")`` when downloads are not allowed."""
    if not settings.get("BUILD_PYTHON_DOWNLOAD"):
        return None, ""
    if uv is None:
        return None, "uv is not installed on the build server"
    env = _env(settings)
    os.makedirs(env["UV_PYTHON_INSTALL_DIR"], exist_ok=True)
    try:
        done = subprocess.run([uv, "python", "install", "--no-bin", version], env=env, capture_output=True,
                              text=True, timeout=600)
        if done.returncode != 0:
            lines = [x for x in (done.stderr or done.stdout).splitlines() if x.strip()]
            return None, lines[-1].strip() if lines else f"uv exited with status {done.returncode}"
        found = subprocess.run([uv, "python", "find", "--managed-python", version], env=env,
                               capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"uv did not finish ({exc})"
    path = found.stdout.strip()
    if found.returncode != 0 or not os.path.isabs(path):
        return None, "uv installed it but cannot find it"
    return path, ""
