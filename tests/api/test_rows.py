"""The bodies built from validator rows (app/schemas/rows.py) are exactly the schemas' dumps.

Reads of projects, versions and builds are answered from the rows their ETag is computed from; the
marshmallow schemas remain what the representations are. Here every read shape (``fields``, ``omit``,
each ``expand``, pages) over projects of every URL kind (plain, subproject, translation of a main
project and of a subproject, single version, canonical custom domains, credentials, masked repository
URL, private and inactive versions, running and finished builds) is answered over HTTP and compared,
as parsed JSON, with the schema's dump of the ORM objects for the same request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, request

from app import auth
from app.api.builds.schemas import BuildSchema
from app.api.pagination import envelope_for, paginate_query
from app.api.projects import resources as projects
from app.api.projects.schemas import ProjectQueryArgsSchema, ProjectSchema
from app.api.versions.schemas import VersionSchema
from app.extensions import db
from app.models import Build, Domain, Project, Version
from app.models.base import utcnow
from app.services import builds as build_service
from app.services import projects as project_service
from app.services import versions as version_service
from tests import factories


@pytest.fixture(autouse=True)
def _uncached(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "RESPONSE_CACHE_ENABLED", False)


@pytest.fixture
def world(user: Any) -> dict[str, Any]:
    bob = factories.UserFactory(username="bob")
    pip = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user, bob], homepage="https://pip.pypa.io",
                                   tags=["packaging", "cli"],
                                   repository_url="https://deploy:s3cret@git.example.com/pip.git")
    pip.repository_credentials_kind = "token"
    docs = factories.ProjectFactory(name="Pip Docs", slug="pip-docs", maintainers=[user])
    factories.RelationshipFactory(parent=pip, child=docs, alias="guide")
    french = factories.ProjectFactory(name="Pip FR", slug="pip-fr", language="fr", maintainers=[user])
    french.main_language_project = pip
    spanish = factories.ProjectFactory(name="Docs ES", slug="docs-es", language="es", maintainers=[user])
    spanish.main_language_project = docs
    single = factories.ProjectFactory(name="Single", slug="single", maintainers=[user],
                                      versioning_scheme="single_version_without_translations")
    flat = factories.ProjectFactory(name="Flat", slug="flat", maintainers=[user], programming_language="zz",
                                    versioning_scheme="multiple_versions_without_translations")
    for project in (pip, docs, french, spanish, single, flat):
        latest = project.versions[0]
        latest.built, latest.built_formats = True, ["htmlzip", "pdf"]
    latest = pip.versions[0]
    stable = factories.VersionFactory(project=pip, slug="stable", verbose_name="stable", identifier="abc123",
                                      ref="2.0", built=True, built_formats=["epub"], machine=True, type="tag")
    # aliases: pip's latest stands for its branch main; its stable for a private tag (never shown under
    # a public stable); flat's latest for an inactive main (not shown either)
    factories.VersionFactory(project=pip, slug="main", verbose_name="main", built=True)
    factories.VersionFactory(project=pip, slug="2-0", verbose_name="2.0", type="tag", privacy_level="private")
    factories.VersionFactory(project=flat, slug="main", verbose_name="main", active=False)
    factories.VersionFactory(project=pip, slug="secret", privacy_level="private", built=True)
    factories.VersionFactory(project=pip, slug="old", active=False, hidden=True, type="tag")
    finished = factories.BuildFactory(project=pip, version=latest, config={"version": 2, "sphinx": {}})
    finished.warnings = ["pdf: latexmk failed"]
    latest.last_build_id = finished.id
    running = factories.BuildFactory(project=pip, version=stable, state="building", success=None,
                                     finished=None, started=utcnow() - timedelta(seconds=5), commit=None)
    stable.last_build_id = running.id
    factories.BuildFactory(project=pip, version=latest, state="triggered", success=None, finished=None,
                           started=None, error=None)
    failed = factories.BuildFactory(project=docs, version=docs.versions[0], success=False, error="Boom")
    docs.versions[0].last_build_id = failed.id
    # Canonical custom domains: pip's URL space (its subproject's, its translation's and the subproject's
    # translation's with it) is on its domain; flat's on an http one; single keeps the docs origin.
    db.session.add_all([Domain(project=pip, domain="docs.pip.example", canonical=True),
                        Domain(project=pip, domain="www.pip.example"),
                        Domain(project=flat, domain="flat.example", canonical=True, https=False)])
    db.session.commit()
    return {"finished": finished.id, "running": running.id, "failed": failed.id}


def _project_urls() -> list[str]:
    out = []
    for slug in ("pip", "pip-docs", "pip-fr", "docs-es", "single", "flat"):
        out += [f"/api/v3/projects/{slug}/", f"/api/v3/projects/{slug}/?expand=active_versions",
                f"/api/v3/projects/{slug}/?expand=active_versions.last_build.config,permissions"]
    return out + [
        "/api/v3/projects/pip/?fields=slug,urls.documentation,users&omit=users",
        "/api/v3/projects/pip/?omit=_links,repository.credentials&expand=active_versions.last_build",
        "/api/v3/projects/pip/?fields=active_versions.slug,active_versions.last_build.state"
        "&expand=active_versions.last_build",
        "/api/v3/projects/pip-docs/superproject/?expand=active_versions",
    ]


def _list_urls() -> list[str]:
    return [
        "/api/v3/projects/", "/api/v3/projects/?limit=2&offset=1",
        "/api/v3/projects/?expand=active_versions.last_build,permissions&limit=100",
        "/api/v3/projects/?fields=slug,translation_of&language=fr", "/api/v3/projects/?offset=50",
        "/api/v3/projects/?name=pip&expand=active_versions", "/api/v3/projects/?shared=true",
        "/api/v3/projects/pip/versions/", "/api/v3/projects/pip/versions/?expand=last_build.config",
        "/api/v3/projects/pip/versions/?active=false", "/api/v3/projects/docs-es/versions/?omit=urls",
        "/api/v3/projects/pip/builds/", "/api/v3/projects/pip/builds/?expand=config&limit=1&offset=1",
        "/api/v3/projects/pip/builds/?running=true&fields=id,state,duration",
        "/api/v3/projects/pip/versions/latest/builds/",
    ]


def _detail_urls(world: dict[str, Any]) -> list[str]:
    out = [f"/api/v3/projects/pip/versions/{v}/{q}" for v in ("latest", "stable", "secret", "old", "main")
           for q in ("", "?expand=last_build", "?expand=last_build.config&omit=downloads")]
    out += ["/api/v3/projects/pip-fr/versions/latest/", "/api/v3/projects/docs-es/versions/latest/",
            "/api/v3/projects/single/versions/latest/", "/api/v3/projects/flat/versions/latest/"]
    builds = ((world["finished"], "pip"), (world["running"], "pip"), (world["failed"], "pip-docs"))
    for build_id, slug in builds:
        url = f"/api/v3/projects/{slug}/builds/{build_id}/"
        out += [url, f"{url}?expand=config", f"{url}?fields=state.code,urls"]
    out.append(f"/api/v3/projects/pip/versions/latest/builds/{world['finished']}/")
    return out


def _dump(app: Flask, url: str, headers: dict[str, str]) -> Any:
    """What the schema answers for ``url``: the ORM objects the views used to load, dumped."""
    db.session.expunge_all()
    with app.test_request_context(url, headers=headers):
        assert app.preprocess_request() is None
        parts = url.split("?")[0].strip("/").split("/")[3:]  # after api/v3/projects
        principal = auth.current_principal()
        if not parts:
            filters = ProjectQueryArgsSchema().load(request.args.to_dict())
            stmt = project_service.listed_for(principal, filters)
            stmt = project_service.with_active_versions(stmt, True)
            return envelope_for(ProjectSchema)().dump(paginate_query(stmt))
        project = auth.readable_project(parts[0])
        if len(parts) == 1:
            return ProjectSchema().dump(projects.load_project(parts[0]))
        if parts[1] == "superproject":
            return ProjectSchema().dump(projects.load_project(project_service.superproject_of(project).slug))
        if parts[1] == "versions" and len(parts) == 2:
            stmt = version_service.versions_query(project, principal, _filters(url))
            return envelope_for(VersionSchema)().dump(paginate_query(stmt))
        if parts[1] == "versions" and len(parts) == 3:
            return VersionSchema().dump(version_service.get_version(project, principal, parts[2]))
        version = None
        if parts[1] == "versions":
            version = version_service.get_version(project, principal, parts[2])
        tail = parts[2:] if parts[1] == "builds" else parts[4:]
        if not tail:
            stmt = build_service.builds_query(project, _filters(url), version)
            return envelope_for(BuildSchema)().dump(paginate_query(stmt))
        return BuildSchema().dump(build_service.get_build(project, int(tail[0]), version))


def _arg(url: str, name: str) -> str | None:
    from urllib.parse import parse_qs, urlsplit

    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None


def _filters(url: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("active", "running"):
        value = _arg(url, name)
        if value is not None:
            out[name] = value == "true"
    return out


def test_every_read_shape_is_the_schemas_dump(app, client, world, headers):
    urls = _project_urls() + _list_urls() + _detail_urls(world)
    assert len(urls) == 66
    for url in urls:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, (url, answer.json)
        assert answer.json == _dump(app, url, headers), url


def test_the_world_has_every_alias_case(client, world, headers):
    listed = client.get("/api/v3/projects/pip/versions/", headers=headers).json["results"]
    versions = {v["slug"]: v for v in listed}
    assert [a["slug"] for a in versions["latest"]["aliases"]] == ["main"]
    assert versions["stable"]["aliases"] == []  # its tag is private, the stable public
    flat = client.get("/api/v3/projects/flat/versions/latest/", headers=headers).json
    assert flat["aliases"] == []  # its main is inactive


def test_an_anonymous_reader_gets_the_schemas_dump_too(app, client, world):
    for url in ("/api/v3/projects/pip/?expand=active_versions.last_build,permissions",
                "/api/v3/projects/pip/versions/", f"/api/v3/projects/pip/builds/{world['finished']}/"):
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.json == _dump(app, url, {}), url


def test_the_rows_cover_the_models_columns_the_schemas_read(world):
    """A column read by a schema but missing from the validators would keep a stale body under an old
    tag; the shape test above fails first, this names the cause."""
    from app.services import validators

    shown = {c.key for c in validators.PROJECT_COLUMNS}
    assert {"name", "homepage", "tags", "repository_credentials_kind", "default_branch"} <= shown
    assert set(validators.VERSION_COLUMNS) <= {c.key for c in Version.__table__.columns}
    assert set(validators.BUILD_COLUMNS) <= {c.key for c in Build.__table__.columns}
    assert {c.key for c in validators.PROJECT_COLUMNS} <= {c.key for c in Project.__table__.columns}


def test_the_count_is_exact_whether_or_not_it_was_counted(client, world, headers):
    """A page is read with one row more than its limit; the count comes from the rows read unless
    more follow or the page lies past the end (app.services.validators.page_count)."""
    total = len(client.get("/api/v3/projects/?limit=100", headers=headers).json["results"])
    assert total == 6
    for limit in (1, 2, 5, 6, 7, 10):
        for offset in (0, 1, 5, 6, 7, 20):
            url = f"/api/v3/projects/?limit={limit}&offset={offset}"
            body = client.get(url, headers=headers).json
            assert body["count"] == total, url
            assert len(body["results"]) == max(0, min(limit, total - offset)), url
            assert (body["next"] is not None) == (offset + limit < total), url
