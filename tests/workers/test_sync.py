"""Version sync: branches and tags → versions, ``latest``/``stable`` rules, vanished refs deactivated."""

from __future__ import annotations

import os

from app.extensions import db
from app.models import Version
from app.services.sync import Ref, stable_candidate, sync_versions, version_slug
from tests import factories
from tests.workers.conftest import work


def _versions(project) -> dict[str, Version]:
    db.session.expire_all()
    return {v.slug: v for v in db.session.query(Version).filter_by(project_id=project.id)}


def _refs(*specs: str) -> list[Ref]:
    """``"branch:main"``, ``"tag:1.0"``: the commit is derived from the name."""
    out = []
    for spec in specs:
        kind, name = spec.split(":", 1)
        out.append(Ref(name, kind, f"sha-{name}"))
    return out


def test_new_refs_are_inactive_and_latest_follows_the_default_branch():
    project = factories.ProjectFactory(name="Sync", with_latest=False)
    result = sync_versions(project, _refs("branch:main", "branch:feature/x", "tag:v1.0"), "main")
    versions = _versions(project)
    assert set(versions) == {"main", "feature-x", "v1.0", "latest", "stable"}
    assert set(result.created) == set(versions)
    assert not any(versions[s].active for s in ("main", "feature-x", "v1.0"))
    latest = versions["latest"]
    assert (latest.machine, latest.active, latest.identifier, latest.type) == (True, True, "main", "branch")
    assert versions["v1.0"].identifier == "sha-v1.0" and versions["v1.0"].type == "tag"
    feature = versions["feature-x"]
    assert feature.verbose_name == "feature/x" and feature.identifier == "feature/x"

    sync_versions(project, _refs("branch:develop", "tag:v1.0"), "develop")
    assert _versions(project)["latest"].identifier == "develop"


def test_stable_is_the_highest_final_release():
    candidate = stable_candidate(_refs("tag:1.9", "tag:1.10", "tag:2.0rc1", "tag:2.0.dev1", "branch:3.0"))
    assert candidate is not None and candidate.name == "1.10"
    candidate = stable_candidate(_refs("branch:1.0", "branch:2.0", "branch:main"))
    assert candidate is not None and candidate.name == "2.0"
    assert stable_candidate(_refs("tag:nightly", "branch:main")) is None
    project = factories.ProjectFactory(name="Stable", with_latest=False)
    sync_versions(project, _refs("branch:main", "tag:1.9", "tag:1.10", "tag:2.0b1"), "main")
    stable = _versions(project)["stable"]
    assert (stable.machine, stable.active, stable.ref, stable.identifier, stable.type) == (
        True, True, "1.10", "sha-1.10", "tag")
    result = sync_versions(project, _refs("branch:main", "tag:1.9", "tag:1.10", "tag:2.0"), "main")
    assert "stable" in result.updated and _versions(project)["stable"].ref == "2.0"


def test_a_real_latest_or_stable_branch_wins_and_gives_way_when_it_vanishes():
    project = factories.ProjectFactory(name="Real", with_latest=False)
    sync_versions(project, _refs("branch:main", "branch:stable", "tag:1.0"), "main")
    stable = _versions(project)["stable"]
    assert (stable.machine, stable.identifier, stable.ref, stable.type) == (False, "stable", None, "branch")
    assert len([v for v in _versions(project).values() if v.verbose_name == "stable"]) == 1

    sync_versions(project, _refs("branch:main", "tag:1.0"), "main")
    stable = _versions(project)["stable"]
    assert (stable.machine, stable.ref, stable.identifier) == (True, "1.0", "sha-1.0")

    sync_versions(project, _refs("branch:main", "tag:latest"), "main")
    latest = _versions(project)["latest"]
    assert (latest.machine, latest.type, latest.identifier) == (False, "tag", "sha-latest")


def test_vanished_versions_are_deactivated_and_their_files_removed(app):
    project = factories.ProjectFactory(name="Gone", with_latest=False)
    sync_versions(project, _refs("branch:main", "branch:old"), "main")
    old = _versions(project)["old"]
    old.active, old.built, old.built_formats = True, True, ["htmlzip"]
    db.session.commit()
    html = os.path.join(app.config["STORAGE_DIR"], project.slug, "old", "html")
    os.makedirs(html)
    result = sync_versions(project, _refs("branch:main"), "main")
    old = _versions(project)["old"]
    assert result.deactivated == ["old"]
    assert (old.active, old.built, old.built_formats) == (False, False, [])
    assert not os.path.exists(html)


def test_slugs():
    assert version_slug("Feature/Big Thing") == "feature-big-thing"
    assert version_slug("v1.0_rc") == "v1.0_rc"
    assert version_slug("///") == "unknown"
    project = factories.ProjectFactory(name="Clash", with_latest=False)
    sync_versions(project, _refs("branch:a/b", "branch:a-b"), "a-b")
    names = {v.verbose_name: v.slug for v in _versions(project).values() if not v.machine}
    assert names == {"a/b": "a-b", "a-b": "a-b_1"} or names == {"a/b": "a-b_1", "a-b": "a-b"}


def test_sync_versions_endpoint_runs_the_job(client, user, headers, sphinx_repo):
    factories.ProjectFactory(name="Endpoint", slug="endpoint", repository_url=sphinx_repo.url,
                             maintainers=[user])
    response = client.post("/api/v3/projects/endpoint/sync-versions/", headers=headers)
    assert response.status_code == 202, response.json
    work()
    listed = client.get("/api/v3/projects/endpoint/versions/?limit=50").json["results"]
    versions = {v["slug"]: v for v in listed}
    assert {"latest", "main", "dev", "1.0", "2.0rc1", "stable"} == set(versions)
    assert versions["stable"]["ref"] == "1.0"
    assert versions["1.0"]["identifier"] == sphinx_repo.sha("1.0^{commit}")
    assert versions["latest"]["identifier"] == "main"
