"""The per-build Python environment on the worker's own Python: a clean virtualenv, plus python.install.

The venv is made without pip and without system packages; a ``.pth`` file names two read-only
directories of the build's tools: the worker's documentation tools (Sphinx, MkDocs, pip and what they
need, nothing else of the worker: :mod:`workers.toolset`) and Docshelf's integrations. What the project
installs lands in the venv and takes precedence over both.
"""

from __future__ import annotations

import os
import sys
import venv
from typing import Any

from workers import toolset
from workers.recorder import Recorder

PTH_NAME = "_docshelf_build_tools.pth"


def venv_python(venv_dir: str) -> str:
    return os.path.join(venv_dir, "bin", "python")


def venv_site_packages(venv_dir: str) -> str:
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return os.path.join(venv_dir, "lib", version, "site-packages")


def create_venv(rec: Recorder, venv_dir: str, tool_dirs: list[str]) -> str:
    """Create the build virtualenv and return its python. ``tool_dirs`` are the read-only directories
    (as the build sees them) its ``.pth`` names: the documentation tools, then the integrations.

    ``venv`` runs in-process (what ``python -m venv --without-pip`` does, minus an interpreter start-up,
    a tenth of a second per build); pip is among the tools, run as this venv's by ``bin/pip``.
    """
    rec.checkpoint()
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(venv_dir)
    site_dir = venv_site_packages(venv_dir)
    os.makedirs(site_dir, exist_ok=True)
    with open(os.path.join(site_dir, PTH_NAME), "w") as fh:
        fh.write("".join(d + "\n" for d in tool_dirs))
    _pip_commands(venv_dir)
    rec.note("python -m venv --without-pip $VIRTUAL_ENV",
             f"Created {venv_dir} on Python {sys.version.split()[0]}, without the worker's packages. "
             f"Offered read-only beside it: {', '.join(toolset.offered())}.\n",
             description="Creating the environment")
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
