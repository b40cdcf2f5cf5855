"""The README's GitHub Actions and GitLab CI snippets, run for real: ``sh`` + curl + jq against a live server.

Each snippet's shell script is taken from the README's YAML (so the documented text is what is tested),
run with the variables the CI system would set, while a real RQ worker builds a real git repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.models import Build
from tests import factories
from tests.workers.conftest import Repo, sphinx_files, wait_for, work

README = Path(__file__).resolve().parents[2] / "README.md"


def _snippets() -> dict[str, str]:
    """The shell script of each CI snippet, keyed by CI system."""
    section = README.read_text().split("## Building from CI", 1)[1].split("\n## ", 1)[0]
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", section, re.S)]
    github = next(b for b in blocks if "jobs" in b)
    gitlab = next(b for b in blocks if "docs" in b and "script" in b["docs"])
    return {"github": github["jobs"]["docs"]["steps"][0]["run"], "gitlab": gitlab["docs"]["script"][0]}


def test_both_snippets_run_the_same_script() -> None:
    scripts = _snippets()
    assert scripts["github"] == scripts["gitlab"]
    assert "curl" in scripts["github"] and "jq" in scripts["github"]


def _run(script: str, live_url: str, token: str, project: str) -> tuple[int, str, str]:
    """Run the snippet like the CI system would (dash as ``sh``), working the queued build meanwhile."""
    if not (shutil.which("curl") and shutil.which("jq")):
        pytest.fail("the CI snippets need curl and jq (apt-get install -y curl jq)")
    env = {
        "PATH": os.environ["PATH"],
        "DOCSHELF_URL": live_url,
        "DOCSHELF_TOKEN": token,
        "DOCSHELF_PROJECT": project,
        "DOCSHELF_VERSION": "latest",
        "DOCSHELF_POLL_SECONDS": "0.2",
    }
    proc = subprocess.Popen(["sh", "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    wait_for(lambda: Build.query.count() or proc.poll() is not None, timeout=30)
    if proc.poll() is None:
        work()
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_snippet_passes_on_a_good_build(ci: str, live_url: str, token: str, user: Any,
                                        tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit(sphinx_files("CI Docs"), "first")
    factories.ProjectFactory(name="CI Docs", slug="ci-docs", repository_url=repo.url, maintainers=[user])
    code, out, err = _run(_snippets()[ci], live_url, token, "ci-docs")
    assert code == 0, out + err
    build = Build.query.one()
    assert f"Docshelf build {build.id}:" in out
    assert "build succeeded." in out  # the build log is printed


def test_snippet_fails_with_the_failing_output(live_url: str, token: str, user: Any, tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit(sphinx_files("Broken", extra="raise RuntimeError('conf.py is broken on purpose')\n"), "bad")
    factories.ProjectFactory(name="Bad", slug="bad", repository_url=repo.url, maintainers=[user])
    code, out, err = _run(_snippets()["github"], live_url, token, "bad")
    assert code == 1
    assert "conf.py is broken on purpose" in out  # the log shows why
    assert f"Build {Build.query.one().id} failed: Building html failed (exit code 2): " in err
    assert "RuntimeError: conf.py is broken on purpose" in err  # the cause, without opening the log


def test_snippet_fails_on_a_refused_trigger(live_url: str, user: Any) -> None:
    factories.ProjectFactory(name="Mine", slug="mine", maintainers=[user])
    code, out, err = _run(_snippets()["gitlab"], live_url, "dsh_not-a-real-token", "mine")
    assert code == 1
    assert '"status": 401' in err or '"status":401' in err
    assert Build.query.count() == 0
