"""The build environment for a ``build.tools.python`` other than the worker's own.

The worker's packages (Sphinx, MkDocs, pip) are built for its own Python and would break another
version, so this venv does not see them: it is made by the chosen interpreter itself, inside the
sandbox, with its own pip (``ensurepip``, offline), and Sphinx or MkDocs come from the package index after
``python.install`` when the project's requirements did not bring them, as Read the Docs installs them on
every build. Only Docshelf's own integrations (pure Python: the flyout for Sphinx and MkDocs) are made
importable, from a copy in the build's read-only tools directory.
"""

from __future__ import annotations

import os
import shutil

from workers.recorder import Recorder
from workers.tools import PythonChoice

PTH_NAME = "_docshelf_integrations.pth"
#: What Read the Docs installs for each tool when the project does not (its "core requirements").
TOOL_PACKAGES = {"sphinx": ("sphinx", "sphinx"), "mkdocs": ("mkdocs", "mkdocs")}


def create_venv(rec: Recorder, venv_dir: str, choice: PythonChoice, lib_inside: str, cwd: str,
                env: dict[str, str]) -> str:
    """``python3.X -m venv`` in the sandbox (with pip), plus a ``.pth`` naming Docshelf's integrations."""
    shutil.rmtree(venv_dir, ignore_errors=True)
    rec.run([choice.path, "-m", "venv", venv_dir], cwd=cwd, env=env, description="Creating the environment",
            display=f"python{choice.version} -m venv $VIRTUAL_ENV")
    site = os.path.join(venv_dir, "lib", f"python{choice.version}", "site-packages")
    if not os.path.isdir(site) or os.path.islink(site):  # made by the sandbox; checked before writing
        raise RuntimeError(f"the venv made by Python {choice.version} has no {site}")
    with open(os.open(os.path.join(site, PTH_NAME), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW,
                      0o644), "w") as fh:
        fh.write(lib_inside + "\n")
    return os.path.join(venv_dir, "bin", "python")


def install_tool(rec: Recorder, python: str, tool: str, cwd: str, env: dict[str, str]) -> None:
    """Sphinx or MkDocs from the package index, unless ``python.install`` already brought it."""
    if tool not in TOOL_PACKAGES:
        return
    module, package = TOOL_PACKAGES[tool]
    script = (f'"$0" -c "import {module}" 2>/dev/null && echo "{package} is installed by the project" '
              f'|| "$0" -m pip install --no-input {package}')
    rec.run(["bash", "-c", script, python], cwd=cwd, env=env, description="Installing",
            display=f"python -m pip install {package}  # unless the project installed it")
