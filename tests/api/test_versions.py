"""Versions: list with filters, detail, update."""

from __future__ import annotations

import os

from rq import Queue

from app.extensions import db, get_redis
from app.models import Build, Project
from tests import factories
from tests.api.helpers import assert_error, token_headers
from tests.golden import assert_golden


def make_project(user, **kwargs):
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user], **kwargs)
    stable = factories.VersionFactory(
        project=project,
        slug="stable",
        verbose_name="stable",
        identifier="abc123",
        ref="19.0.2",
        type="tag",
        machine=True,
        built=True,
        built_formats=["htmlzip", "epub"],
    )
    old = factories.VersionFactory(project=project, slug="0.9", active=False)
    return project, stable, old


def test_list_and_filters(client, user):
    make_project(user)
    everything = client.get("/api/v3/projects/pip/versions/").json
    assert [v["slug"] for v in everything["results"]] == ["latest", "stable", "0.9"]
    assert [v["slug"] for v in client.get("/api/v3/projects/pip/versions/?active=true").json["results"]] == [
        "latest",
        "stable",
    ]
    assert [v["slug"] for v in client.get("/api/v3/projects/pip/versions/?active=False").json["results"]] == [
        "0.9"
    ]
    assert [v["slug"] for v in client.get("/api/v3/projects/pip/versions/?built=1").json["results"]] == [
        "stable"
    ]
    assert client.get("/api/v3/projects/pip/versions/?type=tag").json["count"] == 1
    assert client.get("/api/v3/projects/pip/versions/?slug=0.9").json["count"] == 1
    assert_error(client.get("/api/v3/projects/pip/versions/?active=maybe"), 400, "validation_error")
    assert_error(client.get("/api/v3/projects/nope/versions/"), 404, "not_found")


def test_private_versions_hidden_from_non_maintainers(client, user, headers):
    project, _stable, _old = make_project(user)
    factories.VersionFactory(project=project, slug="secret", privacy_level="private")
    assert client.get("/api/v3/projects/pip/versions/").json["count"] == 3
    assert client.get("/api/v3/projects/pip/versions/", headers=headers).json["count"] == 4
    assert_error(client.get("/api/v3/projects/pip/versions/secret/"), 404, "not_found")
    assert client.get("/api/v3/projects/pip/versions/secret/", headers=headers).status_code == 200


def test_detail_matches_golden(client, user):
    make_project(user)
    response = client.get("/api/v3/projects/pip/versions/stable/")
    assert response.status_code == 200
    assert_golden("version", response.json)


def test_detail_expand_last_build(client, user):
    _project, stable, _old = make_project(user)
    factories.BuildFactory(version=stable, config={"formats": ["epub"]})
    body = client.get("/api/v3/projects/pip/versions/stable/?expand=last_build").json
    assert body["last_build"]["version"] == "stable" and "config" not in body["last_build"]
    body = client.get("/api/v3/projects/pip/versions/stable/?expand=last_build.config").json
    assert body["last_build"]["config"] == {"formats": ["epub"]}
    assert client.get("/api/v3/projects/pip/versions/0.9/?expand=last_build").json["last_build"] is None


def test_list_query_count_does_not_grow(client, user, headers, count_queries):
    project, stable, _old = make_project(user)
    project_id = project.id
    factories.BuildFactory(version=stable)
    client.get("/api/v3/", headers=headers)

    def run(expected):
        counts = []
        for query in ("", "&expand=last_build"):
            with count_queries() as counter:
                response = client.get(f"/api/v3/projects/pip/versions/?limit=200{query}", headers=headers)
            assert response.json["count"] == expected
            counts.append(counter.count)
        return counts

    few = run(3)
    project = db.session.get(Project, project_id)
    for n in range(97):
        factories.BuildFactory(version=factories.VersionFactory(project=project, slug=f"1.{n}"))
    assert run(100) == few


def test_update_is_204_and_changes_fields(client, user, headers):
    make_project(user)
    response = client.patch(
        "/api/v3/projects/pip/versions/stable/",
        json={"hidden": True, "privacy_level": "private"},
        headers=headers,
    )
    assert response.status_code == 204 and response.data == b""
    body = client.get("/api/v3/projects/pip/versions/stable/", headers=headers).json
    assert body["hidden"] is True and body["privacy_level"] == "private"


def test_activating_triggers_a_build(app, client, user, headers):
    make_project(user)
    assert (
        client.patch("/api/v3/projects/pip/versions/0.9/", json={"active": True}, headers=headers).status_code
        == 204
    )
    build = db.session.query(Build).one()
    assert build.version_slug == "0.9" and build.state == "triggered"
    assert Queue("builds", connection=get_redis(app)).fetch_job(f"build-{build.id}") is not None


def test_deactivating_removes_built_files(app, client, user, headers):
    make_project(user)
    site = os.path.join(app.config["STORAGE_DIR"], "pip", "stable", "html")
    os.makedirs(site)
    response = client.patch("/api/v3/projects/pip/versions/stable/", json={"active": False}, headers=headers)
    assert response.status_code == 204
    assert not os.path.exists(os.path.dirname(site))
    body = client.get("/api/v3/projects/pip/versions/stable/").json
    assert body["active"] is False and body["built"] is False and body["downloads"] == {}


def test_default_version_cannot_be_deactivated(client, user, headers):
    make_project(user)
    body = assert_error(
        client.patch("/api/v3/projects/pip/versions/latest/", json={"active": False}, headers=headers),
        400,
        "validation_error",
    )
    assert "active" in body["errors"]


def test_update_errors(client, user, headers):
    make_project(user)
    other = token_headers(factories.UserFactory(username="bob"))
    assert_error(
        client.patch("/api/v3/projects/pip/versions/stable/", json={"active": True}), 401, "auth_required"
    )
    assert_error(
        client.patch("/api/v3/projects/pip/versions/stable/", json={"active": True}, headers=other),
        403,
        "permission_denied",
    )
    assert_error(
        client.patch("/api/v3/projects/pip/versions/nope/", json={"active": True}, headers=headers),
        404,
        "not_found",
    )
    assert_error(
        client.patch(
            "/api/v3/projects/pip/versions/stable/", json={"privacy_level": "secret"}, headers=headers
        ),
        400,
        "validation_error",
    )
    assert_error(
        client.patch("/api/v3/projects/pip/versions/stable/", json={"active": "often"}, headers=headers),
        400,
        "validation_error",
    )
    assert_error(
        client.delete("/api/v3/projects/pip/versions/stable/", headers=headers), 405, "method_not_allowed"
    )
    assert_error(
        client.delete("/api/v3/projects/pip/versions/stable/", headers=other), 403, "permission_denied"
    )
