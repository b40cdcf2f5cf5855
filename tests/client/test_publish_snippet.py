"""The README's CI snippet for docs built elsewhere, run as written: its ``docshelf publish`` step, with
the token the README tells the job to use (``builds:upload`` only, restricted to the project)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from app.models import Build
from tests import factories
from tests.uploads import make_site

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
#: The console script from this checkout's sources (the installed one may be another checkout's).
DOCSHELF = [sys.executable, "-c", "from docshelf_client.main import main; main()"]


def _step() -> dict[str, Any]:
    section = README.read_text().split("## Publishing docs built elsewhere", 1)[1].split("\n## ", 1)[0]
    block = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", section, re.S)[0])
    steps = block["jobs"]["publish"]["steps"]
    return next(s for s in steps if s.get("name") == "Publish the built HTML on Docshelf")


def test_the_readme_publish_step_runs_with_an_upload_only_token(app, client, live_url: str, user: Any,
                                                                 tmp_path: Path) -> None:
    project = factories.ProjectFactory(name="My Docs", slug="my-docs", maintainers=[user])
    body = {"name": "ci", "scopes": ["builds:upload"], "projects": ["my-docs"]}  # as the README says
    key = client.post("/api/v3/tokens/", json=body,
                      headers={"Authorization": f"Token {factories.make_token(user)}"}).json["token"]
    make_site(tmp_path / "_build" / "html", 10)
    step = _step()
    argv = shlex.split(step["run"])
    assert argv[0] == "docshelf" and set(step["env"]) == {"DOCSHELF_URL", "DOCSHELF_TOKEN"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    env.update(DOCSHELF_URL=live_url, DOCSHELF_TOKEN=key, HOME=str(tmp_path),
               DOCSHELF_CLIENT_CONFIG=str(tmp_path / "client.toml"),
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "client")]))
    done = subprocess.run([*DOCSHELF, *argv[1:]], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Published 10 files to my-docs/latest" in done.stdout
    build = Build.query.filter_by(project_id=project.id).one()
    assert build.kind == "upload" and build.success is True
