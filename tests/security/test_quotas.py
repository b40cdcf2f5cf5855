"""Quotas: projects per user and unfinished builds per user → 429 quota_exceeded naming the quota."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Build, Project
from tests import factories
from tests.api.helpers import assert_error, token_headers

NEW = {"name": "New", "repository": {"url": "https://github.com/example/new"}}


def test_project_quota(client, app, user, headers, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PROJECTS_PER_USER", 2)
    factories.ProjectFactory(name="One", maintainers=[user])
    factories.ProjectFactory(name="Two", maintainers=[user])
    body = assert_error(
        client.post("/api/v3/projects/", json=NEW, headers=headers), 429, "quota_exceeded", "quota"
    )
    assert body["quota"] == {"name": "projects_per_user", "limit": 2, "used": 2}
    assert body["retryable"] is False and "Retry-After" not in client.get("/api/v3/").headers
    assert db.session.scalar(select(func.count(Project.id))) == 2
    admin = token_headers(factories.UserFactory(role="admin"))
    for n in range(3):  # admins are exempt
        assert (
            client.post("/api/v3/projects/", json=dict(NEW, name=f"A{n}"), headers=admin).status_code == 201
        )


def test_zero_means_no_project_quota(client, app, user, headers, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PROJECTS_PER_USER", 0)
    for n in range(3):
        assert (
            client.post("/api/v3/projects/", json=dict(NEW, name=f"P{n}"), headers=headers).status_code == 201
        )


def test_active_build_quota(client, app, user, headers, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ACTIVE_BUILDS_PER_USER", 2)
    pip = factories.ProjectFactory(name="Pip", maintainers=[user])
    factories.ProjectFactory(name="Other", maintainers=[user])
    mine = factories.BuildFactory(version=factories.VersionFactory(project=pip, slug="v1"), state="building")
    mine.triggered_by_id = user.id
    factories.BuildFactory(version=factories.VersionFactory(project=pip, slug="v2"), state="finished")
    # A co-maintainer's (or a webhook's) running build is theirs, not this user's.
    factories.BuildFactory(version=factories.VersionFactory(project=pip, slug="v3"), state="building")
    db.session.commit()
    assert client.post("/api/v3/projects/pip/versions/latest/builds/", headers=headers).status_code == 202
    response = client.post("/api/v3/projects/other/versions/latest/builds/", headers=headers)
    body = assert_error(response, 429, "quota_exceeded", "quota")
    assert body["quota"] == {"name": "active_builds_per_user", "limit": 2, "used": 2}
    assert db.session.scalar(select(func.count(Build.id)).where(Build.project_id != pip.id)) == 0


def test_activating_a_version_counts_against_the_build_quota(client, app, user, headers, monkeypatch):
    """Activating builds the version, as a build the user triggered: the same quota, checked first."""
    monkeypatch.setitem(app.config, "MAX_ACTIVE_BUILDS_PER_USER", 1)
    pip = factories.ProjectFactory(name="Pip", maintainers=[user])
    v1 = factories.VersionFactory(project=pip, slug="v1")
    running = factories.BuildFactory(version=v1, state="building")
    running.triggered_by_id = user.id
    factories.VersionFactory(project=pip, slug="v2", active=False)
    db.session.commit()
    response = client.patch("/api/v3/projects/pip/versions/v2/", json={"active": True}, headers=headers)
    body = assert_error(response, 429, "quota_exceeded", "quota")
    assert body["quota"] == {"name": "active_builds_per_user", "limit": 1, "used": 1}
    assert client.get("/api/v3/projects/pip/versions/v2/", headers=headers).json["active"] is False
    running.state = "finished"
    db.session.commit()
    activate = client.patch("/api/v3/projects/pip/versions/v2/", json={"active": True}, headers=headers)
    assert activate.status_code == 204
    builds = db.session.scalars(select(Build).where(Build.version_slug == "v2")).all()
    assert [(b.triggered_by_id, b.state) for b in builds] == [(user.id, "triggered")]
