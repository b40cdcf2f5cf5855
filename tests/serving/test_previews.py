"""Pull-request previews are served apart: on ``<project>--<n>.<EXTERNAL_DOCS_DOMAIN>`` only, with
``noindex``, their own privacy level, and the addons' banner; never on the docs origin of real versions.

Every site here comes from a real build of a real repository (the PR's commit only on refs/pull/N/head).
"""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.models import Build, Version
from app.services.builds import trigger_build
from tests.api.test_pull_requests import PR_URL, pr_commit, pr_payload, project, repo, version
from tests.api.test_webhooks_incoming import github, integration
from tests.workers.conftest import sphinx_files, work

__all__ = ["project", "repo"]  # fixtures shared with tests/api/test_pull_requests.py

PREVIEW = "http://pip--7.previews.test"
JSON = {"Accept": "application/json"}


@pytest.fixture
def built(app: Any, client: Any, project: Any, repo: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """``latest`` (published docs) and PR #7 (a preview), both built; returns the PR's head commit."""
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", "previews.test")
    latest = db.session.query(Version).filter_by(project_id=project.id, slug="latest").one()
    trigger_build(project, latest)
    sha = pr_commit(repo, 7, sphinx_files("Preview of the change"))
    answer = github(client, integration(project), "pull_request", pr_payload(7, "opened", sha))
    assert answer.status_code == 200
    work()
    assert version("7").built and version("latest").built
    return sha


def test_the_preview_is_served_on_its_own_host_with_noindex(client, built):
    page = client.get("/", base_url=PREVIEW)
    assert page.status_code == 200 and "Preview of the change" in page.get_data(as_text=True)
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert client.get("/index.html", base_url=PREVIEW).status_code == 200
    missing = client.get("/nope.html", base_url=PREVIEW)
    assert missing.status_code == 404 and missing.headers["X-Robots-Tag"] == "noindex, nofollow"
    robots = client.get("/robots.txt", base_url=PREVIEW)
    assert "Disallow: /" in robots.get_data(as_text=True) and robots.headers["X-Robots-Tag"]
    assert client.post("/", base_url=PREVIEW).status_code == 405
    assert client.get("/../../etc/passwd", base_url=PREVIEW).status_code in (400, 404)


def test_previews_are_never_on_the_docs_origin(app, client, built, monkeypatch):
    assert "Published docs" in client.get("/docs/pip/en/latest/").get_data(as_text=True)
    assert client.get("/docs/pip/en/7/").status_code == 404
    assert client.get("/docs/pip/en/7/index.html").status_code == 404
    monkeypatch.setitem(app.config, "DOCS_DOMAIN", "docs.test")
    assert client.get("/en/7/", base_url="http://pip.docs.test").status_code == 404
    # and the real versions are not on the preview host: it serves the PR's files only
    other = client.get("/en/latest/", base_url=PREVIEW)
    assert other.status_code == 404
    # the PR's version is in no list of the docs origin
    addons = client.get("/_/addons/?project-slug=pip&version-slug=latest", headers=JSON)
    assert [v["slug"] for v in addons.json["versions"]["active"]] == ["latest"]


def test_without_an_external_domain_previews_are_not_served(app, client, built, monkeypatch):
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", None)
    answer = client.get("/", base_url=PREVIEW)
    assert "Preview of the change" not in answer.get_data(as_text=True)
    assert client.get("/docs/pip/en/7/").status_code == 404


def test_hosts_that_only_look_like_a_preview(client, built):
    for host in ("http://pip--7.previews.test.evil.example", "http://x.pip--7.previews.test",
                 "http://pip--07.previews.test", "http://pip--8.previews.test", "http://nope--7.previews.test",
                 "http://pip--latest.previews.test"):
        answer = client.get("/", base_url=host)
        assert "Preview of the change" not in answer.get_data(as_text=True), host
        # not a preview: the app's own answer for a host it does not serve docs on, or a 404
        assert answer.status_code == 404 or "X-Robots-Tag" not in answer.headers, host


def test_a_branch_on_a_number_is_not_served_as_a_preview(client, built, project):
    version_row = version("latest")
    assert version_row is not None
    assert client.get("/", base_url="http://pip--1.previews.test").status_code == 404


def test_a_closed_pr_is_no_longer_served(client, built, project):
    github(client, integration(project), "pull_request", pr_payload(7, "closed", built))
    assert client.get("/", base_url=PREVIEW).status_code == 404


def test_the_preview_has_its_own_privacy_level(client, project, repo, app, monkeypatch, headers):
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", "previews.test")
    project.external_builds_privacy_level = "private"
    db.session.commit()
    sha = pr_commit(repo, 7, sphinx_files("Private preview"))
    github(client, integration(project), "pull_request", pr_payload(7, "opened", sha))
    work()
    assert version("7").privacy_level == "private"
    anonymous = client.get("/", base_url=PREVIEW, headers={"Accept": "application/json"})
    assert anonymous.status_code == 401 and "Private preview" not in anonymous.get_data(as_text=True)
    maintainer = client.get("/", base_url=PREVIEW, headers=headers)
    assert maintainer.status_code == 200 and "Private preview" in maintainer.get_data(as_text=True)
    assert "private" in maintainer.headers["Cache-Control"]


def test_the_addons_banner_names_the_pull_request_and_commit(client, built):
    answer = client.get("/_/addons/?project-slug=pip&version-slug=7", base_url=PREVIEW,
                        headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.json
    warning = answer.json["addons"]["external-version-warning"]
    assert warning["show"] is True
    assert warning["pull_request"] == {"number": "7", "url": PR_URL, "commit": built[:7]}
    assert warning["message"] == (f"This page was built from pull request #7 (commit {built[:7]}), "
                                  "not the published docs.")
    assert answer.json["addons"]["non-latest-version-warning"]["show"] is False
    published = client.get("/_/addons/?project-slug=pip&version-slug=latest", headers=JSON)
    assert published.json["addons"]["external-version-warning"]["show"] is False


def page_rst(title: str, text: str) -> str:
    return f":orphan:\n\n{title}\n{'=' * len(title)}\n\n{text}\n"


def test_the_file_tree_diff_lists_exactly_the_pages_the_pr_changed(app, client, project, repo, monkeypatch):
    """main has guide and old; the PR edits guide, adds new and deletes old. Every page's navigation and
    version name differ between the two builds, yet only those three pages are listed."""
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", "previews.test")
    repo.git("rm", "--quiet", "-r", "docs")
    base_files = {**sphinx_files("Published docs"), "docs/guide.rst": page_rst("Guide", "Install it."),
                  "docs/old.rst": page_rst("Old", "Going away.")}
    repo.commit(base_files, "base")
    latest = db.session.query(Version).filter_by(project_id=project.id, slug="latest").one()
    trigger_build(project, latest)
    repo.git("checkout", "--quiet", "--detach", "main")
    repo.git("rm", "--quiet", "docs/old.rst")
    sha = repo.commit({"docs/guide.rst": page_rst("Guide", "Install it with pip."),
                       "docs/new.rst": page_rst("New", "Brand new.")}, "PR 7")
    repo.git("update-ref", "refs/pull/7/head", sha)
    repo.checkout("main")
    github(client, integration(project), "pull_request", pr_payload(7, "opened", sha))
    work()
    assert version("7").built and version("latest").built
    answer = client.get("/_/addons/?project-slug=pip&version-slug=7", base_url=PREVIEW, headers=JSON)
    diff = answer.json["addons"]["filetreediff"]
    assert diff["enabled"] is True and diff["outdated"] is False and diff["base_version"] == "latest"
    names = {kind: [e["filename"] for e in entries] for kind, entries in diff["diff"].items()}
    assert names == {"added": ["new.html"], "deleted": ["old.html"], "modified": ["guide.html"]}
    [modified] = diff["diff"]["modified"]
    assert modified["urls"] == {"current": f"{PREVIEW}/guide.html",
                                "base": "http://docs.localhost/docs/pip/en/latest/guide.html"}
    # every page's bytes differ (navigation, version name), which the main-content hashes ignore
    builds = {b.version_slug: b for b in db.session.query(Build).filter_by(success=True)}
    pr_files, base_files_ = (builds[s].manifest["files"] for s in ("7", "latest"))
    assert pr_files["index.html"]["sha256"] != base_files_["index.html"]["sha256"]
    assert pr_files["index.html"]["main_content_hash"] == base_files_["index.html"]["main_content_hash"]
    # the published docs have no diff
    published = client.get("/_/addons/?project-slug=pip&version-slug=latest", headers=JSON)
    assert published.json["addons"]["filetreediff"] == {"enabled": False}
