"""Builds: lists, filters, detail, the version-scoped routes and the trigger."""

from __future__ import annotations

from redis import Redis
from rq import Queue

from app.extensions import db, get_redis
from app.models import Build, Project
from tests import factories
from tests.api.helpers import assert_error, token_headers
from tests.golden import assert_golden


def test_list_newest_first_and_filters(client, project):
    latest = project.versions[0]
    old = factories.BuildFactory(version=latest, commit="aaa")
    new = factories.BuildFactory(version=latest, commit="bbb", state="building", success=None)
    body = client.get("/api/v3/projects/pip/builds/").json
    assert [b["id"] for b in body["results"]] == [new.id, old.id]
    assert [b["id"] for b in client.get("/api/v3/projects/pip/builds/?commit=aaa").json["results"]] == [
        old.id
    ]
    assert [b["id"] for b in client.get("/api/v3/projects/pip/builds/?running=true").json["results"]] == [
        new.id
    ]
    assert [b["id"] for b in client.get("/api/v3/projects/pip/builds/?running=0").json["results"]] == [old.id]
    assert_error(client.get("/api/v3/projects/pip/builds/?running=perhaps"), 400, "validation_error")


def test_detail_matches_golden(client, project):
    build = factories.BuildFactory(version=project.versions[0], config={"version": 2})
    response = client.get(f"/api/v3/projects/pip/builds/{build.id}/")
    assert response.status_code == 200
    assert_golden("build", response.json)
    expanded = client.get(f"/api/v3/projects/pip/builds/{build.id}/?expand=config").json
    assert expanded["config"] == {"version": 2}
    assert client.get(f"/api/v3/projects/pip/builds/{build.id}/?fields=id,state").json == {
        "id": build.id,
        "state": {"code": "finished", "name": "Finished"},
    }


def test_detail_errors(client, project):
    other = factories.ProjectFactory(name="Other")
    foreign = factories.BuildFactory(version=other.versions[0])
    assert_error(client.get(f"/api/v3/projects/pip/builds/{foreign.id}/"), 404, "not_found")
    assert_error(client.get("/api/v3/projects/pip/builds/999999/"), 404, "not_found")
    assert_error(client.get("/api/v3/projects/pip/builds/abc/"), 404, "not_found")


def test_version_scoped_routes(client, project):
    other_version = factories.VersionFactory(project=project, slug="2.0")
    mine = factories.BuildFactory(version=project.versions[0])
    theirs = factories.BuildFactory(version=other_version)
    listed = client.get("/api/v3/projects/pip/versions/latest/builds/").json
    assert [b["id"] for b in listed["results"]] == [mine.id]
    assert client.get(f"/api/v3/projects/pip/versions/latest/builds/{mine.id}/").json["id"] == mine.id
    assert_error(client.get(f"/api/v3/projects/pip/versions/latest/builds/{theirs.id}/"), 404, "not_found")
    assert_error(client.get("/api/v3/projects/pip/versions/nope/builds/"), 404, "not_found")


def test_trigger_returns_202_and_enqueues_after_commit(app, client, project, headers):
    response = client.post("/api/v3/projects/pip/versions/latest/builds/", headers=headers)
    assert response.status_code == 202, response.json
    body = response.json
    assert set(body) == {"build", "project", "version", "triggered"} and body["triggered"] is True
    assert (
        body["build"]["state"] == {"code": "triggered", "name": "Triggered"}
        and body["build"]["success"] is None
    )
    assert body["project"]["slug"] == "pip" and body["version"]["slug"] == "latest"
    build_id = body["build"]["id"]
    job = Queue("builds", connection=get_redis(app)).fetch_job(f"build-{build_id}")
    assert job is not None and job.func_name == "workers.jobs.run_build" and job.args == (build_id,)
    build = db.session.get(Build, build_id)
    assert build.job_id == f"build-{build_id}" and build.triggered_by_id == project.users[0].id
    version = client.get("/api/v3/projects/pip/versions/latest/?expand=last_build").json
    assert version["last_build"]["id"] == build_id


def test_trigger_cancels_older_unfinished_builds(client, project, headers):
    queued = factories.BuildFactory(version=project.versions[0], state="triggered", success=None)
    running = factories.BuildFactory(version=project.versions[0], state="building", success=None)
    assert client.post("/api/v3/projects/pip/versions/latest/builds/", headers=headers).status_code == 202
    db.session.expire_all()
    assert queued.state == "cancelled" and queued.success is False and queued.finished is not None
    assert running.cancel_requested is True


def test_trigger_inactive_version_is_400_with_triggered_false(client, project, headers):
    factories.VersionFactory(project=project, slug="old", active=False)
    body = assert_error(
        client.post("/api/v3/projects/pip/versions/old/builds/", headers=headers), 400, "validation_error"
    )
    assert body["triggered"] is False


def test_trigger_permissions(client, project):
    assert_error(client.post("/api/v3/projects/pip/versions/latest/builds/"), 401, "auth_required")
    other = token_headers(factories.UserFactory(username="eve"))
    assert_error(
        client.post("/api/v3/projects/pip/versions/latest/builds/", headers=other), 403, "permission_denied"
    )
    assert_error(
        client.post("/api/v3/projects/pip/versions/nope/builds/", headers=other), 403, "permission_denied"
    )
    assert db.session.query(Build).count() == 0


def test_trigger_with_redis_down_is_503_and_records_no_running_build(
    app, client, project, headers, monkeypatch
):
    # A real connection to a port where nothing listens: the enqueue fails as it would in production.
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    monkeypatch.setitem(app.extensions, "docshelf_redis", dead)
    body = assert_error(
        client.post("/api/v3/projects/pip/versions/latest/builds/", headers=headers),
        503,
        "retryable_error",
        "retryable",
    )
    assert body["retryable"] is True and body["triggered"] is False
    build = db.session.query(Build).one()
    assert build.state == "cancelled" and build.success is False and "could not be queued" in build.error


def test_list_query_count_does_not_grow(client, project, headers, count_queries):
    project_id = project.id
    factories.BuildFactory(version=project.versions[0])
    client.get("/api/v3/", headers=headers)

    def run():
        counts = []
        for query in ("", "&expand=config"):
            with count_queries() as counter:
                assert (
                    client.get(f"/api/v3/projects/pip/builds/?limit=100{query}", headers=headers).status_code
                    == 200
                )
            counts.append(counter.count)
        return counts

    one = run()
    latest = db.session.get(Project, project_id).versions[0]
    for _ in range(99):
        factories.BuildFactory(version=latest)
    assert run() == one
