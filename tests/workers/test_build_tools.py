"""The tools of Read the Docs' build image (issue 21): ``build.tools.python`` chooses the interpreter (the
nearest one with a warning when the server lacks it, or a failure when strict), and ``asdf`` and ``uv``
work in the sandbox offline, refusing clearly what they cannot do."""

from __future__ import annotations

import json
import os

import pytest

from tests.workers.test_end_to_end import site
from tests.workers.test_sandbox_attacks import build_once
from tests.workers.test_sandbox_network import loopback_http
from workers import tools

PY312 = "/root/.pyenv/versions/3.12.1/bin/python3.12"
WORKER = tools.worker_version()
HTML = ['mkdir -p "$READTHEDOCS_OUTPUT/html"',
        'echo "<h1>By hand</h1>" > "$READTHEDOCS_OUTPUT/html/index.html"']


def _files(commands: list[str], python: str | None = None) -> dict[str, str]:
    tools_key = f"  tools:\n    python: {json.dumps(python)}\n" if python else ""
    return {".readthedocs.yaml": "version: 2\nbuild:\n" + tools_key + "  commands:\n"
            + "".join(f"    - {json.dumps(c)}\n" for c in [*commands, *HTML])}


# -- choosing the interpreter ------------------------------------------------------------------------------

OFFER = {"3.10": "/py/3.10", "3.11": "/py/3.11", "3.12": "/py/3.12"}


@pytest.mark.parametrize(("asked", "used", "warned"), [
    (None, WORKER, False), ("3", "3.12", False), ("latest", "3.12", False), ("3.10", "3.10", False),
    ("3.99", "3.12", True), ("3.8", "3.10", True), ("2.7", WORKER, True),
])
def test_the_asked_version_or_the_nearest(asked, used, warned):
    choice = tools.choose_python(asked, {**OFFER, WORKER: "/py/worker"})
    assert choice.version == used and (choice.warning is not None) == warned
    if warned:
        assert str(asked) in (choice.warning or "") and f"uses Python {used}" in (choice.warning or "")


def test_strict_refuses_a_version_not_on_offer():
    with pytest.raises(tools.ToolError, match="3.99"):
        tools.choose_python("3.99", OFFER, strict=True)


def test_the_setting_is_read_and_checked():
    assert tools.parse_pythons("3.12=/a/python3.12, 3.13=/b/python3") == {"3.12": "/a/python3.12",
                                                                          "3.13": "/b/python3"}
    with pytest.raises(tools.ToolError, match="DOCSHELF_BUILD_PYTHONS"):
        tools.parse_pythons("python3.12")
    assert WORKER in tools.available_pythons(None)  # the worker's own Python is always offered


# -- builds --------------------------------------------------------------------------------------------------

def test_a_missing_version_builds_with_the_nearest_and_says_so(app, client, user, headers, make_repo,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "BUILD_PYTHONS", f"{WORKER}={tools.worker_base_python()}")
    files = _files(["python --version"], python="3.99")
    build, log = build_once(client, headers, user, make_repo(files).url, "nearest")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-2000:])
    warning = next(c for c in build.commands if c.description == "Configuration warnings")
    assert "build.tools.python: Python 3.99 is not available" in warning.output
    assert f"uses Python {WORKER} instead" in warning.output
    assert f"Python {WORKER}." in log


def test_a_missing_version_is_asked_of_uv_when_downloads_are_allowed(app, client, user, headers, make_repo,
                                                                     monkeypatch):
    """uv asks the configured mirror (a real server on loopback, which has nothing); the build then uses
    the nearest version and its warning says why the download did not help."""
    monkeypatch.setitem(app.config, "BUILD_PYTHONS", f"{WORKER}={tools.worker_base_python()}")
    monkeypatch.setitem(app.config, "BUILD_PYTHON_DOWNLOAD", True)
    with loopback_http(lambda path: None) as (mirror, seen):
        monkeypatch.setitem(app.config, "BUILD_PYTHON_MIRROR", mirror)
        repo = make_repo(_files(["python --version"], python="3.10"))
        build, log = build_once(client, headers, user, repo.url, "downloaded")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-2000:])
    assert any("cpython-3.10" in path for path, _auth in seen), seen
    warning = next(w for w in build.warnings or [] if w.startswith("build.tools.python"))
    assert "Python 3.10 is not available" in warning and "downloading it with uv failed: " in warning
    assert f"uses Python {WORKER} instead" in warning


def test_strict_makes_a_missing_version_a_failure(app, client, user, headers, make_repo, monkeypatch):
    monkeypatch.setitem(app.config, "BUILD_PYTHON_STRICT", True)
    build, log = build_once(client, headers, user, make_repo(_files([], python="3.99")).url, "strict")
    assert (build.state, build.success) == ("finished", False)
    assert "Python 3.99 is not available" in (build.error or "") and "3.99" in log


@pytest.mark.skipif(not os.access(PY312, os.X_OK), reason="needs pyenv's Python 3.12")
def test_a_project_asking_for_3_12_gets_3_12(app, client, user, headers, make_repo, monkeypatch):
    monkeypatch.setitem(app.config, "BUILD_PYTHONS", f"3.12={PY312}")
    probe = 'python -c "import sphinx" 2>/dev/null && echo worker-packages-visible || echo own-packages-only'
    files = _files(["python --version", probe, "python -m pip --version", "asdf current python"],
                   python="3.12")
    build, log = build_once(client, headers, user, make_repo(files).url, "py312")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    assert "Python 3.12.1" in log and "own-packages-only" in log  # not the worker's 3.11 packages
    assert "python3.12/site-packages" in log  # the venv's own pip
    assert "python    3.12" in log  # asdf current: the build's Python, with no warning
    assert not any(c.description == "Configuration warnings" for c in build.commands)


def test_the_asdf_and_uv_recipe_works_offline(app, client, user, headers, make_repo):
    recipe = ["asdf plugin add uv", "asdf install uv latest", "asdf global uv latest", "uv --version",
              "asdf current", "asdf list python", "command -v uv"]
    build, log = build_once(client, headers, user, make_repo(_files(recipe)).url, "asdfuv")
    assert (build.state, build.success) == ("finished", True), (build.error, log[-3000:])
    assert "uv: provided by the build server" in log and "uv 0." in log
    assert ".tool-versions" in log and f"python    {WORKER}" in log
    with open(site(app, "asdfuv", "latest", "html", "index.html")) as fh:
        assert "By hand" in fh.read()


def test_an_unsupported_asdf_plugin_fails_clearly(app, client, user, headers, make_repo):
    build, log = build_once(client, headers, user, make_repo(_files(["asdf plugin add ruby"])).url, "ruby")
    assert (build.state, build.success) == ("finished", False)
    assert "asdf: no ruby here" in log and "cannot download or build ruby" in log


def test_uv_uses_the_hosts_certificates_and_the_builds_mirror():
    assert tools.uv_env(None) == {"UV_SYSTEM_CERTS": "1"}
    assert tools.uv_env("http://127.0.0.1:3141/simple")["UV_DEFAULT_INDEX"] == "http://127.0.0.1:3141/simple"
