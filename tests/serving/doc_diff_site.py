"""A real pull request that edits one paragraph of a Sphinx page: ``latest`` and PR #7 both built
(the PR's commit only on refs/pull/7/head), shared by the doc_diff tests."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import Version
from app.services.builds import trigger_build
from tests.api.test_pull_requests import pr_commit, pr_payload, version
from tests.api.test_webhooks_incoming import github, integration
from tests.workers.conftest import SPHINX_CONF, Repo, work

KEPT = "This paragraph stays exactly as it was."
OLD = "Install the tool with the old installer."
NEW = "Install the tool with pip, the new way."


def index_rst(second: str) -> str:
    return f"Guide\n=====\n\n{KEPT}\n\n{second}\n"


def build_pr(client: Any, project: Any, repo: Repo) -> str:
    """main has the page with OLD, PR #7 changes it to NEW; returns the PR's head commit."""
    repo.commit({"docs/conf.py": SPHINX_CONF, "docs/index.rst": index_rst(OLD)}, "base")
    latest = db.session.query(Version).filter_by(project_id=project.id, slug="latest").one()
    trigger_build(project, latest)
    sha = pr_commit(repo, 7, {"docs/index.rst": index_rst(NEW)})
    answer = github(client, integration(project), "pull_request", pr_payload(7, "opened", sha))
    assert answer.status_code == 200, answer.json
    work()
    pr, base = version("7"), version("latest")
    assert pr is not None and base is not None and pr.built and base.built
    return sha
