"""Real builds for the search tests, made once per session by the build engine, restored per test.

``shelf-search`` (Sphinx: an API reference page, ``search.ranking``/``search.ignore``, a ``1.0`` tag
with older text, a ``secret`` branch built as a private version) has the MkDocs project ``shelf-child``
as its subproject. The session keeps what the engine produced (version rows, published files and the
index rows) and :func:`indexed` restores it for each test (the database is emptied after every test).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select

from app.extensions import db
from app.models import Project, SearchSection, Version
from app.services.search import engine
from tests import factories
from tests.serving.conftest import VERSION_FIELDS, _empty_everything, project_builds, work
from tests.workers.conftest import Repo

SPHINX_YAML = """version: 2
sphinx:
  configuration: docs/conf.py
search:
  ranking:
    deprecated.html: -8
  ignore: [search.html, 404.html, hidden-page.html]
"""
CONF = 'project = "Shelf Search"\nauthor = "Docshelf"\ncopyright = "2026, Docshelf"\n'
API_RST = """API reference
=============

.. py:module:: shelfmod

.. py:function:: frobnicate(widget, speed=2)

   Frobnicate the widget at the given speed.

.. py:class:: Widget

   A widget that can be frobnicated.

   .. py:method:: spin(speed)

      Spin the widget around its axle.
"""


def sphinx_files(intro: str) -> dict[str, str]:
    return {
        ".readthedocs.yaml": SPHINX_YAML,
        "docs/conf.py": CONF,
        "docs/index.rst": (
            "Shelf Search\n============\n\n" + intro + "\n\nInstallation\n------------\n\n"
            "Run pip install shelfsearch to get the quux tooling.\n\n.. toctree::\n\n"
            "   api\n   guide\n   deprecated\n   hidden-page\n"
        ),
        "docs/api.rst": API_RST,
        "docs/guide.rst": (
            "Configuration\n=============\n\nSettings live in shelf.toml; read the "
            'installation notes first. The zebra option <b>is</b> "quoted".\n'
        ),
        "docs/deprecated.rst": "Old tooling\n===========\n\nThe quux tooling of old, quux quux quux.\n",
        "docs/hidden-page.rst": "Hidden\n======\n\nThe word nebulous appears only here.\n",
    }


MKDOCS_FILES = {
    ".readthedocs.yaml": "version: 2\nmkdocs:\n  configuration: mkdocs.yml\n",
    "mkdocs.yml": "site_name: Shelf Child\n",
    "docs/index.md": (
        "# Child home\n\nThe child explains the quux tooling too.\n\n## Tuning\n\nTune the flux capacitor.\n"
    ),
}


@dataclass
class Snapshot:
    storage: Path
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug → versions, rows


def _build(app: Flask, base: Path) -> Snapshot:
    parent_repo = Repo(base / "parent")
    parent_repo.commit(sphinx_files("Welcome to the legacy shelf."), "first")
    parent_repo.tag("1.0")
    parent_repo.commit(sphinx_files("Welcome to the current shelf."), "second")
    parent_repo.branch("secret")
    parent_repo.commit(
        {"docs/guide.rst": "Configuration\n=============\n\nA classified moonbeam.\n"}, "secret"
    )
    parent_repo.checkout("main")
    child_repo = Repo(base / "child")
    child_repo.commit(MKDOCS_FILES, "first")

    user: Any = factories.UserFactory(username="builder")
    headers = {"Authorization": f"Token {factories.make_token(user)}"}
    client = app.test_client()
    for slug, repo in (("shelf-search", parent_repo), ("shelf-child", child_repo)):
        factories.ProjectFactory(name=slug, slug=slug, repository_url=repo.url, maintainers=[user])
        response = client.post(f"/api/v3/projects/{slug}/versions/latest/builds/", headers=headers)
        assert response.status_code == 202, response.json
    work()
    for slug, data in (("1.0", {"active": True}), ("secret", {"active": True, "privacy_level": "private"})):
        response = client.patch(f"/api/v3/projects/shelf-search/versions/{slug}/", json=data, headers=headers)
        assert response.status_code == 204, response.json
    work()
    db.session.expire_all()
    snapshot = Snapshot(base / "storage")
    for slug in ("shelf-search", "shelf-child"):
        project = db.session.scalars(select(Project).where(Project.slug == slug)).one()
        versions = db.session.scalars(select(Version).where(Version.project_id == project.id)).all()
        assert {v.slug for v in versions if v.built} >= (
            {"latest", "1.0", "secret"} if slug == "shelf-search" else {"latest"}
        ), [(b.version_slug, b.error) for b in project_builds(project)]
        slugs = {v.id: v.slug for v in versions}
        rows = db.session.scalars(select(SearchSection).where(SearchSection.project_id == project.id)).all()
        snapshot.projects[slug] = {
            "versions": [{f: getattr(v, f) for f in VERSION_FIELDS} for v in versions],
            "rows": [
                {"version": slugs[r.version_id], **{c: getattr(r, c) for c in _ROW_FIELDS}} for r in rows
            ],
        }
        shutil.copytree(os.path.join(app.config["STORAGE_DIR"], slug), snapshot.storage / slug)
    return snapshot


_ROW_FIELDS = (
    "path",
    "page_title",
    "kind",
    "anchor",
    "role",
    "title",
    "content",
    "rank",
    "language",
    "position",
)


@pytest.fixture(scope="session")
def search_snapshot(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    base = tmp_path_factory.mktemp("search-builds")
    with app.app_context():
        _empty_everything(app)
        try:
            return _build(app, base)
        finally:
            _empty_everything(app)


@dataclass
class Indexed:
    owner: Any
    parent: Project
    child: Project

    def version(self, project: Project, slug: str) -> Version:
        return db.session.scalars(
            select(Version).where(Version.project_id == project.id, Version.slug == slug)
        ).one()


@pytest.fixture
def indexed(app: Flask, search_snapshot: Snapshot) -> Iterator[Indexed]:
    owner: Any = factories.UserFactory(username="owner")
    projects = {}
    for slug, data in search_snapshot.projects.items():
        project: Any = factories.ProjectFactory(name=slug, slug=slug, with_latest=False, maintainers=[owner])
        ids = {}
        for row in data["versions"]:
            version = factories.VersionFactory(project=project, **row)
            if row["built"]:
                factories.BuildFactory(version=version)
            ids[row["slug"]] = version.id
        rows = [
            {
                "project_id": project.id,
                "version_id": ids[r["version"]],
                **{k: v for k, v in r.items() if k != "version"},
            }
            for r in data["rows"]
        ]
        db.session.execute(insert(SearchSection), rows)
        for version_id in ids.values():
            engine().prepare(version_id)
        db.session.commit()
        shutil.copytree(search_snapshot.storage / slug, os.path.join(app.config["STORAGE_DIR"], slug))
        projects[slug] = project
    factories.RelationshipFactory(
        parent=projects["shelf-search"], child=projects["shelf-child"], alias="child"
    )
    db.session.commit()
    yield Indexed(owner, projects["shelf-search"], projects["shelf-child"])
    shutil.rmtree(app.config["STORAGE_DIR"], ignore_errors=True)
