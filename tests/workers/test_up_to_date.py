"""``up_to_date``: a build of the commit (configuration, environment) the version's last successful build
had is skipped cheaply: it ends successfully, says so in its log and warnings, and the published site
stays. Real repositories, real builds, signed webhooks."""

from __future__ import annotations

import os
from typing import Any

from app import storage
from app.extensions import db
from app.models import Build, Version
from app.services.builds import trigger_build
from app.services.envvars import create_environment_variable
from tests.api.test_pull_requests import pr_commit, pr_payload, project, repo
from tests.api.test_webhooks_incoming import github, integration
from tests.workers.conftest import fresh, sphinx_files, work

__all__ = ["project", "repo"]


def latest(project: Any) -> Version:
    db.session.expire_all()
    return db.session.query(Version).filter_by(project_id=project.id, slug="latest").one()


def build_latest(project: Any, user: Any = None) -> Build:
    build = trigger_build(project, latest(project), user)
    build_id = build.id
    work()
    done = fresh(build_id)
    assert (done.state, done.success) == ("finished", True), done.error
    return done


def skipped(build: Build) -> bool:
    return any(c.description == "Up to date" for c in build.commands)


def index_path(app: Any) -> str:
    return os.path.join(app.config["STORAGE_DIR"], "pip", "latest", "html", "index.html")


def index(app: Any) -> str:
    with open(index_path(app)) as fh:
        return fh.read()


def test_a_second_build_of_the_same_commit_is_skipped_and_a_new_commit_is_built(app, client, project, repo):
    first = build_latest(project)
    assert not skipped(first) and first.manifest["inputs"]
    stamp = os.stat(index_path(app)).st_mtime_ns
    second = build_latest(project)
    assert skipped(second) and second.commit == first.commit
    [note] = [c for c in second.commands if c.description == "Up to date"]
    assert f"Nothing changed since build #{first.id}" in note.output and first.commit[:12] in note.output
    assert second.warnings and f"Nothing changed since build #{first.id}" in second.warnings[-1]
    assert not any("sphinx" in c.command for c in second.commands)  # nothing of the project ran
    log = client.get(f"/api/v3/projects/pip/builds/{second.id}/log.txt").get_data(as_text=True)
    assert "Nothing changed since build" in log
    # the published site is the first build's, untouched, and the version still says so
    assert "Published docs" in index(app)
    assert os.stat(index_path(app)).st_mtime_ns == stamp
    assert latest(project).built is True
    assert second.manifest == first.manifest  # the next trigger (and the file-tree diff) read it
    third = build_latest(project)  # compared with the skipped one: still nothing changed
    assert skipped(third)
    repo.commit(sphinx_files("Second commit"), "second")
    fourth = build_latest(project)
    assert not skipped(fourth) and fourth.commit != first.commit and "Second commit" in index(app)


def test_a_person_asking_always_gets_a_build(project, repo, user):
    build_latest(project)
    assert not skipped(build_latest(project, user))  # the API's trigger is the "force"


def test_changed_inputs_are_built(app, project, repo, monkeypatch):
    first = build_latest(project)
    create_environment_variable(project, name="DOCS_FLAVOUR", value="spicy")
    db.session.commit()
    assert not skipped(build_latest(project))  # a new variable
    monkeypatch.setitem(app.config, "BUILD_PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    assert not skipped(build_latest(project))  # the worker's build settings
    storage.remove_version("pip", "latest")
    rebuilt = build_latest(project)  # the site is gone from storage: publish it again
    assert not skipped(rebuilt) and "Published docs" in index(app) and rebuilt.commit == first.commit


def test_a_pull_request_event_without_a_new_commit_is_skipped(app, client, project, repo, monkeypatch):
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", "previews.test")
    sha = pr_commit(repo, 7, sphinx_files("Preview of seven"))
    row = integration(project)
    for action in ("opened", "reopened", "synchronize"):
        assert github(client, row, "pull_request", pr_payload(7, action, sha)).status_code == 200
        work()
    db.session.expire_all()
    builds = db.session.query(Build).filter_by(version_slug="7").order_by(Build.id).all()
    assert [b.success for b in builds] == [True, True, True]
    assert [skipped(b) for b in builds] == [False, True, True]
    newer = pr_commit(repo, 7, sphinx_files("Preview of seven, again"))
    github(client, row, "pull_request", pr_payload(7, "synchronize", newer))
    work()
    db.session.expire_all()
    last = db.session.query(Build).filter_by(version_slug="7").order_by(Build.id.desc()).first()
    assert last is not None and last.commit == newer and last.success and not skipped(last)
