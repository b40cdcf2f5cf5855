"""Every ``docshelf`` command example in the README runs as written, so the README cannot drift.

The commands are read from the README's ```sh blocks (lines that start with ``docshelf`` or
``.venv/bin/docshelf``) and run in the README's order, each as the real console script: the admin
commands against the test server's database and Redis, the client's commands from a fresh home
directory against a live server, logged in by the README's own ``docshelf login`` (the device code
approved as a person would), building a real git repository. The redirects file is the README's
example. A new example with no way to run it here fails :func:`test_every_example_is_run`.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app.models import Build
from app.services import device
from tests import factories
from tests.cli.test_commands import _env
from tests.client.conftest import DOCSHELF
from tests.workers.conftest import Repo, sphinx_files, wait_for, work

README = Path(__file__).resolve().parents[2] / "README.md"
#: The server the README's examples talk to; the test's live server stands in for it.
README_SERVER = "http://127.0.0.1:8000"
#: Every example's command (its words up to the first argument that names something); what runs it
#: is the ``if`` chain in the scenario below.
KNOWN = {
    "users set-password", "users create", "tokens create",
    "login", "projects list", "versions sync", "builds trigger", "builds list", "redirects apply",
    "download",
}


def examples() -> list[tuple[bool, list[str]]]:
    """(is an admin command, argv after ``docshelf``) of each example, in the README's order."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(), re.S):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            for prefix, admin in (("docshelf ", False), (".venv/bin/docshelf ", True)):
                if line.startswith(prefix):
                    found.append((admin, shlex.split(command)[1:]))
    return found


def _name(argv: list[str]) -> str:
    two = " ".join(argv[:2])
    return two if two in KNOWN else argv[0]


def test_every_example_is_run() -> None:
    names = [_name(argv) for _admin, argv in examples()]
    assert set(names) == KNOWN, "a README example this test does not run (or one it runs is gone)"
    assert len(names) == len(set(names))


def _redirects_file() -> str:
    section = README.read_text().split("### The redirects file", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, re.S)[0]


def _client(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([DOCSHELF, *argv], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _login(argv: list[str], env: dict[str, str], cwd: Path, user: Any) -> str:
    proc = _client(argv, env, cwd)
    assert proc.stderr is not None
    line = ""
    while "enter the code" not in line:
        line = proc.stderr.readline()
        assert line, f"login exited before showing a code: {proc.communicate()}"
    code = re.search(r"[A-Z]{4}-[A-Z]{4}", line)
    assert code is not None
    device.decide(device.pending_by_user_code(code.group()), user, approve=True)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out


def test_the_readme_examples_run_as_written(app: Any, live_url: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "DEVICE_POLL_INTERVAL", 1)
    admin = factories.UserFactory(username="admin", role="admin")  # what make run creates
    repo = Repo(tmp_path / "repo")
    files = sphinx_files("My Docs")
    files[".readthedocs.yaml"] = "version: 2\nformats: [htmlzip]\nsphinx:\n  configuration: docs/conf.py\n"
    repo.commit(files, "first")
    factories.ProjectFactory(name="My Docs", slug="my-docs", repository_url=repo.url, maintainers=[admin])
    home = tmp_path / "home"
    home.mkdir()
    (home / "redirects.yml").write_text(_redirects_file())
    # The client starts from nothing but the README's login: no URL or token in its environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    env.update(HOME=str(home), DOCSHELF_CLIENT_CONFIG=str(home / "client.toml"))

    outputs: dict[str, str] = {}
    for is_admin, argv in examples():
        name = _name(argv)
        if is_admin:
            done = subprocess.run([DOCSHELF, *argv], env=_env(app), input="secret words\nsecret words\n",
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, (argv, done.stderr)
            outputs[name] = done.stdout
            continue
        argv = [live_url if arg == README_SERVER else arg for arg in argv]
        if name == "login":
            outputs[name] = _login(argv, env, home, admin)
            continue
        proc = _client(argv, env, home)
        if name == "builds trigger":  # --wait: the build runs while the client follows it
            wait_for(lambda proc=proc: Build.query.count() or proc.poll() is not None, timeout=30)
            work()
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, (argv, out, err)
        outputs[name] = out
        if name == "versions sync":
            work()  # the queued sync, as the worker of the server would run it

    assert "password set for admin" in outputs["users set-password"]
    assert outputs["tokens create"].startswith("dsh_")
    assert "saved in profile" in outputs["login"]
    assert "my-docs" in outputs["projects list"]
    assert "Queued a sync" in outputs["versions sync"]
    assert "build succeeded." in outputs["builds trigger"] and "passed" in outputs["builds trigger"]
    assert "passed" in outputs["builds list"] and "latest" in outputs["builds list"]
    assert "would create page /old -> /new/" in outputs["redirects apply"]
    assert "planned" in outputs["redirects apply"]
    with zipfile.ZipFile(home / "my-docs-latest.zip") as archive:
        assert any(name.endswith("index.html") for name in archive.namelist())


def test_the_readme_redirects_file_applies_and_converges(cli: Any, user: Any, tmp_path: Path) -> None:
    factories.ProjectFactory(name="My Docs", slug="my-docs", maintainers=[user])
    path = tmp_path / "redirects.yml"
    path.write_text(_redirects_file())
    applied = cli("redirects", "apply", "my-docs", "-f", str(path))
    assert applied.exit_code == 0, applied.stderr
    assert "4 change(s)." in applied.stdout
    again = cli("redirects", "apply", "my-docs", "-f", str(path))
    assert again.exit_code == 0 and "Nothing to change." in again.stdout, again.stdout
