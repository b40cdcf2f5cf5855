"""Importing a project builds its default version, as Read the Docs does (the build's clone step syncs
the branches and tags); ``DOCSHELF_BUILD_ON_IMPORT=off`` queues nothing; the build quota still holds."""

from __future__ import annotations

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue

from app.extensions import BUILDS_QUEUE, DEFAULT_QUEUE, get_queue
from app.models import Build, Project, Version
from tests import factories
from tests.workers.conftest import Repo, fresh, work


def _import(client, headers, repo: Repo, name: str = "Imported"):
    response = client.post("/api/v3/projects/", headers=headers,
                           json={"name": name, "repository": {"url": repo.url, "type": "git"}})
    assert response.status_code == 201, response.json
    return response


def _queued() -> list[str]:
    queues: list[Queue] = [get_queue(BUILDS_QUEUE), get_queue(DEFAULT_QUEUE)]
    return [job.func_name for queue in queues for job in queue.jobs]


def test_import_builds_the_default_version_and_syncs_versions(client, headers, sphinx_repo: Repo):
    response = _import(client, headers, sphinx_repo)
    assert response.json["slug"] == "imported"  # Read the Docs' answer: the project, nothing else
    build = Build.query.one()
    assert (build.version_slug, build.state) == ("latest", "triggered")
    assert _queued() == ["workers.jobs.run_build"]
    work()
    build = fresh(build.id)
    assert (build.state, build.success) == ("finished", True), build.error
    project = Project.query.filter_by(slug="imported").one()
    slugs = {v.slug for v in Version.query.filter_by(project_id=project.id)}
    assert {"latest", "stable", "1.0", "dev"} <= slugs  # the build's clone synced the branches and tags


def test_import_builds_nothing_when_the_setting_is_off(app, client, headers, sphinx_repo: Repo,
                                                       monkeypatch):
    monkeypatch.setitem(app.config, "BUILD_ON_IMPORT", False)
    _import(client, headers, sphinx_repo)
    assert Build.query.count() == 0 and _queued() == []


def test_an_import_over_the_build_quota_syncs_versions_without_a_build(app, client, user, headers,
                                                                      sphinx_repo: Repo, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ACTIVE_BUILDS_PER_USER", 1)
    busy = factories.ProjectFactory(slug="busy", maintainers=[user])
    factories.BuildFactory(version=busy.versions[0], state="building", success=None,
                           triggered_by_id=user.id)
    _import(client, headers, sphinx_repo)  # the import stands; only the build waits for the quota
    project = Project.query.filter_by(slug="imported").one()
    assert Build.query.filter_by(project_id=project.id).count() == 0
    assert _queued() == ["workers.jobs.sync_versions"]
    work()
    assert Version.query.filter_by(project_id=project.id, slug="1.0").count() == 1


def test_an_import_while_redis_is_down_still_creates_the_project(app, client, headers, sphinx_repo: Repo,
                                                                 monkeypatch):
    # A real connection to a loopback port where nothing listens, as in tests/fault/test_redis_down.py.
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    monkeypatch.setitem(app.extensions, "docshelf_redis", dead)
    _import(client, headers, sphinx_repo)  # 201: the import does not depend on the queue
    build = Build.query.one()
    assert (build.state, build.success) == ("cancelled", False) and "could not be queued" in build.error
