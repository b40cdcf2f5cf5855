"""The per-build Python environment: a virtualenv that sees the worker's packages, plus python.install.

``python -m venv --system-site-packages`` would expose the *base* interpreter's packages, not the
worker's (the worker usually runs in a virtualenv itself), so the build venv gets a ``.pth`` file listing
the worker's site-packages directories instead: Sphinx, MkDocs and pip are visible without copies, and
what the project installs lands in the build venv and takes precedence.
"""

from __future__ import annotations

import os
import sys
import venv
from typing import Any

from workers.recorder import Recorder

PTH_NAME = "_docshelf_worker_packages.pth"


def worker_site_dirs() -> list[str]:
    """The worker's site-packages directories, in import order (no project source trees)."""
    names = ("site-packages", "dist-packages")
    return [p for p in sys.path if os.path.basename(p) in names and os.path.isdir(p)]


def venv_python(venv_dir: str) -> str:
    return os.path.join(venv_dir, "bin", "python")


def venv_site_packages(venv_dir: str) -> str:
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return os.path.join(venv_dir, "lib", version, "site-packages")


def create_venv(rec: Recorder, venv_dir: str) -> str:
    """Create the build virtualenv and return its python.

    ``venv`` runs in-process (what ``python -m venv --without-pip`` does, minus an interpreter start-up,
    a tenth of a second per build); no pip is copied in, since the worker's pip is visible.
    """
    rec.checkpoint()
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(venv_dir)
    site_dir = venv_site_packages(venv_dir)
    os.makedirs(site_dir, exist_ok=True)
    dirs = worker_site_dirs()
    with open(os.path.join(site_dir, PTH_NAME), "w") as fh:
        # addsitedir (not plain path lines) also runs the worker's own .pth files, so an editable
        # install of Docshelf is importable in the build (the Sphinx extension, the MkDocs plugin).
        fh.write("import site; " + "; ".join(f"site.addsitedir({d!r})" for d in dirs) + "\n")
    _pip_commands(venv_dir)
    rec.note("python -m venv --without-pip $VIRTUAL_ENV",
             f"Created {venv_dir} on Python {sys.version.split()[0]}; the worker's packages are visible from "
             f"{', '.join(dirs)}.\n", description="Creating the environment")
    return venv_python(venv_dir)


def _pip_commands(venv_dir: str) -> None:
    """``pip`` and ``pip3`` in the venv's bin, running the visible pip as this venv's: without them a
    ``pip install`` in a job or ``build.commands`` would find the system's pip instead."""
    script = (f"#!{venv_python(venv_dir)}\nimport sys\nfrom pip._internal.cli.main import main\n"
              "sys.exit(main())\n")
    for name in ("pip", "pip3"):
        path = os.path.join(venv_dir, "bin", name)
        with open(path, "w") as fh:
            fh.write(script)
        os.chmod(path, 0o755)


def install_commands(python: str, install: list[dict[str, Any]]) -> list[list[str]]:
    """pip command lines for ``python.install``; no ``--upgrade``: what the worker has is reused offline."""
    commands = []
    for entry in install:
        if "requirements" in entry:
            commands.append([python, "-m", "pip", "install", "--no-input", "-r", entry["requirements"]])
        else:
            path = entry["path"]
            target = path if path.startswith((".", "/")) else "./" + path
            extras = entry.get("extra_requirements") or []
            if extras:
                target += "[" + ",".join(extras) + "]"
            commands.append([python, "-m", "pip", "install", "--no-input", target])
    return commands
