"""The command-line client installs on its own (client/, ``docshelf-client``), without the server.

One test imports every client module with the server's packages made unimportable; the other installs
the distribution into a fresh virtual environment from pip's configured index (as a laptop or CI job
would) and runs ``docshelf --help`` there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

CLIENT = Path(__file__).resolve().parents[2] / "client"
#: What the server needs and the client must not: importing any of them fails in the first test.
SERVER_ONLY = ("app", "workers", "flask", "sqlalchemy", "redis", "rq", "sphinx", "mkdocs", "marshmallow")


def test_the_client_declares_and_imports_nothing_of_the_server():
    declared = tomllib.loads((CLIENT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(d.split(">")[0] for d in declared) == ["click", "pyyaml", "rich"]
    probe = (
        "import sys, importlib, pkgutil\n"
        f"for name in {SERVER_ONLY!r}: sys.modules[name] = None\n"  # None: `import name` raises
        "import docshelf_client, docshelf_client.commands\n"
        "for pkg in (docshelf_client, docshelf_client.commands):\n"
        "    for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "from docshelf_client.main import client\n"
        "client(['--help'])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "login" in result.stdout and "builds" in result.stdout and "worker" not in result.stdout


def test_a_fresh_venv_gets_the_client_alone(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(CLIENT)]
    installed = subprocess.run(pip, capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    result = subprocess.run([str(venv / "bin" / "docshelf"), "--help"], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "projects" in result.stdout and "redirects" in result.stdout
    assert "users" not in result.stdout and "worker" not in result.stdout  # the server's commands
    flask = subprocess.run([str(python), "-c", "import flask"], capture_output=True, text=True, timeout=60)
    assert flask.returncode != 0  # nothing of the server came along
