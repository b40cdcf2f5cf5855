"""Cancel, timeout, concurrency, environment scrubbing and atomic publish, with an in-process worker."""

from __future__ import annotations

import os
import time
import uuid

from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from app.crypto import encrypt
from app.extensions import BUILDS_QUEUE, db, get_queue, get_redis
from app.models import Build, Version
from app.services.build_control import finish_build
from app.services.builds import trigger_build
from tests import factories
from tests.api.helpers import assert_error
from tests.workers.conftest import fresh, processes_with, sphinx_files, wait_for, work

PRE_BUILD_SLEEP = """version: 2
sphinx:
  configuration: docs/conf.py
build:
  jobs:
    pre_build:
      - "(echo child started; exec -a child-$TOKEN sleep 300) & sleep 0.2; exec -a main-$TOKEN sleep 60"
"""


def _project(user, repo, slug: str, **fields):
    project = factories.ProjectFactory(name=slug.title(), slug=slug, repository_url=repo.url,
                                       maintainers=[user], **fields)
    return project, project.versions[0]


def _envvar(project, name: str, value: str, public: bool = False) -> None:
    factories.EnvironmentVariableFactory(project=project, name=name, value_encrypted=encrypt(value),
                                         value_length=len(value), public=public)


def test_cancel_a_queued_build(client, user, headers, sphinx_repo):
    project, latest = _project(user, sphinx_repo, "queued")
    build = trigger_build(project, latest)
    response = client.post(f"/api/v3/projects/queued/builds/{build.id}/cancel/", headers=headers)
    assert response.status_code == 202, response.json
    assert response.json["state"]["code"] == "cancelled" and response.json["success"] is False
    assert Job.fetch(build.job_id, connection=get_redis()).get_status() == JobStatus.CANCELED
    work()
    build = fresh(build.id)
    assert build.state == "cancelled" and build.commands == [] and build.started is None
    again = client.post(f"/api/v3/projects/queued/builds/{build.id}/cancel/", headers=headers)
    assert_error(again, 409, "conflict")
    assert_error(client.post(f"/api/v3/projects/queued/builds/{build.id}/cancel/"), 401, "auth_required")


def test_timeout_kills_the_whole_process_group(app, user, make_repo):
    files = sphinx_files("Slow")
    files[".readthedocs.yaml"] = PRE_BUILD_SLEEP
    project, latest = _project(user, make_repo(files), "slow", build_timeout=3)
    token = uuid.uuid4().hex
    _envvar(project, "TOKEN", token)
    build = trigger_build(project, latest)
    started = time.monotonic()
    work()
    elapsed = time.monotonic() - started
    build = fresh(build.id)
    assert (build.state, build.success) == ("finished", False)
    assert "time limit of 3 s" in build.error
    assert elapsed < 15
    killed = build.commands[-1]
    assert "time limit" in killed.output and killed.exit_code != 0
    assert "child started" in killed.output
    # The command and what it left in the background: both gone (the step's PID namespace ended).
    wait_for(lambda: processes_with(token) == [], timeout=5)


def test_concurrency_limit_waits_then_runs(user, sphinx_repo):
    project, latest = _project(user, sphinx_repo, "busy", max_concurrent_builds=1)
    other = factories.VersionFactory(project=project, slug="other", identifier="main")
    running = factories.BuildFactory(version=other, state="building", success=None, commit=None)
    build = trigger_build(project, latest)
    work()
    waiting = fresh(build.id)
    assert waiting.state == "triggered" and waiting.commands == []
    assert waiting.job_id == f"build-{build.id}-2"  # re-queued with a delay, never failed
    assert waiting.job_id in ScheduledJobRegistry(queue=get_queue(BUILDS_QUEUE)).get_job_ids()

    finish_build(fresh(running.id), success=True)  # the slot frees: the waiting build starts at once
    assert fresh(build.id).job_id == f"build-{build.id}-3"
    assert waiting.job_id not in ScheduledJobRegistry(queue=get_queue(BUILDS_QUEUE)).get_job_ids()
    work()
    assert (fresh(build.id).state, fresh(build.id).success) == ("finished", True)


def test_project_limit_defaults_to_the_setting(app, user, sphinx_repo):
    project, latest = _project(user, sphinx_repo, "defaults")
    versions = [factories.VersionFactory(project=project, slug=f"v{n}", identifier="main") for n in range(2)]
    for version in versions:
        factories.BuildFactory(version=version, state="cloning", success=None)
    build = trigger_build(project, latest)
    assert app.config["MAX_CONCURRENT_BUILDS"] == 2
    work()
    assert fresh(build.id).state == "triggered"


def test_build_environment_is_scrubbed(app, user, make_repo, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "leak-aws-secret")
    monkeypatch.setenv("DOCSHELF_SECRET_KEY", "leak-docshelf-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "leak-github-token")
    files = sphinx_files("Env")
    files[".readthedocs.yaml"] = "version: 2\nbuild:\n  jobs:\n    pre_build:\n      - env | sort\n"
    project, latest = _project(user, make_repo(files), "envy")
    _envvar(project, "MY_TOKEN", "project-private-value")
    _envvar(project, "MY_PUBLIC", "project-public-value", public=True)
    build = trigger_build(project, latest)
    work()
    build = fresh(build.id)
    assert build.success is True, build.error
    printed = next(c.output for c in build.commands if c.command == "env | sort")
    env = dict(line.split("=", 1) for line in printed.splitlines() if "=" in line)
    assert "leak-" not in printed
    for secret in (app.config["SECRET_KEY"], app.config["DATABASE_URL"], app.config["REDIS_URL"]):
        assert secret not in printed
    assert env["READTHEDOCS"] == "True"
    assert env["READTHEDOCS_PROJECT"] == env["DOCSHELF_PROJECT"] == "envy"
    assert env["READTHEDOCS_VERSION"] == "latest" and env["READTHEDOCS_VERSION_TYPE"] == "branch"
    assert env["READTHEDOCS_GIT_COMMIT_HASH"] == build.commit and env["READTHEDOCS_LANGUAGE"] == "en"
    assert env["READTHEDOCS_GIT_IDENTIFIER"] == "main"
    assert env["READTHEDOCS_OUTPUT"].endswith("/checkout/_readthedocs/")
    assert env["READTHEDOCS_CANONICAL_URL"].endswith("/envy/en/latest/")
    assert env["MY_TOKEN"] == "project-private-value" and env["MY_PUBLIC"] == "project-public-value"
    assert env["HOME"].startswith(os.path.join(app.config["DATA_DIR"], "builds"))
    assert not any(name.startswith(("DOCSHELF_DATA", "DOCSHELF_DATABASE", "DOCSHELF_REDIS", "AWS_"))
                   for name in env)
    # The build's own API token: read-only for its project while it runs, dead once it ended.
    assert env["DOCSHELF_API_TOKEN"].startswith("dsh_") and env["DOCSHELF_API_URL"].endswith("/api/v3/")
    response = app.test_client().get("/api/v3/projects/envy/",
                                     headers={"Authorization": f"Token {env['DOCSHELF_API_TOKEN']}"})
    assert response.status_code == 401 and response.json["code"] == "auth_required"


def test_pull_request_builds_get_public_variables_only(user, sphinx_repo):
    from app.services.build_env import build_variables

    project, _latest = _project(user, sphinx_repo, "prs")
    _envvar(project, "PRIVATE_ONE", "hidden")
    _envvar(project, "PUBLIC_ONE", "shown", public=True)
    external = factories.VersionFactory(project=project, slug="42", type="external", identifier="abc")
    env = build_variables(project, external, commit="abc", output_dir="/out/")
    assert env["PUBLIC_ONE"] == "shown" and "PRIVATE_ONE" not in env
    assert env["READTHEDOCS_VERSION_TYPE"] == "external"


def test_failed_rebuild_leaves_the_previous_site_intact(app, user, make_repo):
    repo = make_repo(sphinx_files("Good version"))
    project, latest = _project(user, repo, "atomic")
    first = trigger_build(project, latest)
    work()
    assert fresh(first.id).success is True
    index = os.path.join(app.config["STORAGE_DIR"], "atomic", "latest", "html", "index.html")
    with open(index) as fh:
        before = fh.read()
    repo.commit(sphinx_files("Bad version", extra="raise SystemExit(3)\n"), "break it")
    second = trigger_build(project, db.session.get(Version, latest.id))
    work()
    assert fresh(second.id).success is False
    with open(index) as fh:
        assert fh.read() == before and "Good version" in before
    assert db.session.get(Version, latest.id).built is True  # still served from the last good build
    names = os.listdir(os.path.join(app.config["STORAGE_DIR"], "atomic"))
    leftovers = [n for n in names if n.startswith(".")]
    assert leftovers == []


def test_triggering_again_supersedes_a_queued_build(user, sphinx_repo):
    project, latest = _project(user, sphinx_repo, "supersede")
    old = trigger_build(project, latest)
    new = trigger_build(project, db.session.get(Version, latest.id))
    work()
    assert fresh(old.id).state == "cancelled" and fresh(old.id).commands == []
    assert fresh(new.id).success is True
    assert db.session.query(Build).filter_by(state="finished").count() == 1


def test_worker_warm_up_touches_no_build(user, count_queries):
    """The pre-fork warm-up runs the claim's statements against no row: nothing changes, nothing breaks."""
    from app.services.build_control import warm_up

    build = factories.BuildFactory(version__project=factories.ProjectFactory(maintainers=[user]),
                                   state="triggered", success=None, finished=None)
    build_id, started = build.id, build.started
    with count_queries() as counted:
        warm_up()
    assert any(s.lstrip().upper().startswith("UPDATE BUILDS") for s in counted.statements)
    after = fresh(build_id)
    assert after.state == "triggered" and after.started == started
