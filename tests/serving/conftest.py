"""Real built sites for the serving tests, made once per session by the build engine.

Two fixture repositories (Sphinx and MkDocs, each with a ``1.0`` tag and a newer ``main``) are built
through the API and an in-process RQ worker, exactly like production builds. Neither project mentions
the Docshelf integration: the builders add the Sphinx extension and the MkDocs plugin themselves.

The database is emptied after every test (tests/conftest.py), so the session keeps a snapshot of the
published files and of the version rows the engine produced, and :func:`sites` restores both for each
test: every served byte still comes from a real build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.extensions import BUILDS_QUEUE, DEFAULT_QUEUE, db, get_queue, get_redis
from app.models import Build, Project, Version
from tests import factories
from tests.workers.conftest import BurstWorker

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Docshelf Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Docshelf Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "LANG": "C.UTF-8",
}
SPHINX_CONF = """project = "Shelf Sphinx"
author = "Docshelf"
copyright = "2026, Docshelf"
"""
SPHINX_YAML = "version: 2\nformats: [htmlzip, epub]\nsphinx:\n  configuration: docs/conf.py\n"
MKDOCS_YML = "site_name: Shelf MkDocs\n"
MKDOCS_YAML = "version: 2\nformats: [htmlzip]\nmkdocs:\n  configuration: mkdocs.yml\n"
VERSION_FIELDS = (
    "slug",
    "verbose_name",
    "identifier",
    "ref",
    "type",
    "active",
    "hidden",
    "built",
    "privacy_level",
    "machine",
    "built_formats",
)


def git(path: Path, *args: str) -> str:
    env = dict(GIT_ENV, HOME=str(path))
    done = subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit(path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "-m", message)


def sphinx_pages(title: str) -> dict[str, str]:
    return {
        ".readthedocs.yaml": SPHINX_YAML,
        "docs/conf.py": SPHINX_CONF,
        "docs/index.rst": f"{title}\n{'=' * len(title)}\n\n.. toctree::\n\n   guide\n   sub/index\n",
        "docs/guide.rst": f"Guide\n=====\n\nThe guide of {title}.\n",
        "docs/sub/index.rst": "Sub\n===\n\n.. toctree::\n\n   page\n",
        "docs/sub/page.rst": f"Sub page\n========\n\nA nested page of {title}.\n",
    }


def mkdocs_pages(title: str) -> dict[str, str]:
    return {
        ".readthedocs.yaml": MKDOCS_YAML,
        "mkdocs.yml": MKDOCS_YML,
        "docs/index.md": f"# {title}\n\nWelcome to {title}.\n",
        "docs/guide.md": f"# Guide\n\nThe guide of {title}.\n",
        "docs/sub/page.md": f"# Sub page\n\nA nested page of {title}.\n",
    }


def make_repo(path: Path, pages: Any) -> Path:
    """``1.0`` is the first commit; ``main`` adds ``new`` pages on top."""
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "--initial-branch", "main")
    commit(path, pages("Release one"), "first")
    git(path, "tag", "-a", "1.0", "-m", "release 1.0")
    files = pages("Main branch")
    if "docs/index.rst" in files:
        files["docs/index.rst"] += "   new\n"
        files["docs/new.rst"] = "New\n===\n\nOnly in the newest version.\n"
    else:
        files["docs/new.md"] = "# New\n\nOnly in the newest version.\n"
    commit(path, files, "second")
    return path


def work() -> None:
    BurstWorker([get_queue(BUILDS_QUEUE), get_queue(DEFAULT_QUEUE)], connection=get_redis()).work(burst=True)


@dataclass
class Snapshot:
    """What the engine produced for one project: its version rows and its published files."""

    slug: str
    storage: Path
    versions: list[dict[str, Any]] = field(default_factory=list)
    commits: dict[str, str | None] = field(default_factory=dict)


def _empty_everything(app: Flask) -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    get_redis(app).flushdb()
    shutil.rmtree(app.config["STORAGE_DIR"], ignore_errors=True)
    for sub in ("repos", "builds"):
        shutil.rmtree(os.path.join(app.config["DATA_DIR"], sub), ignore_errors=True)


@pytest.fixture(scope="session")
def built(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Snapshot]:
    """Build both fixture projects (latest and 1.0) with the real engine, once per session."""
    base = tmp_path_factory.mktemp("serving-builds")
    repos = {
        "shelf-sphinx": make_repo(base / "sphinx", sphinx_pages),
        "shelf-mkdocs": make_repo(base / "mk", mkdocs_pages),
    }
    snapshots: dict[str, Snapshot] = {}
    with app.app_context():
        _empty_everything(app)
        try:
            user: Any = factories.UserFactory(username="builder")
            headers = {"Authorization": f"Token {factories.make_token(user)}"}
            client = app.test_client()
            for slug, repo in repos.items():
                project = factories.ProjectFactory(
                    name=slug, slug=slug, repository_url=str(repo), maintainers=[user]
                )
                response = client.post(f"/api/v3/projects/{slug}/versions/latest/builds/", headers=headers)
                assert response.status_code == 202, response.json
            work()
            for slug in repos:
                response = client.patch(
                    f"/api/v3/projects/{slug}/versions/1.0/", json={"active": True}, headers=headers
                )
                assert response.status_code == 204, response.json
            work()
            db.session.expire_all()
            for slug in repos:
                project = db.session.query(Project).filter_by(slug=slug).one()
                rows = db.session.query(Version).filter_by(project_id=project.id).all()
                built_slugs = {v.slug for v in rows if v.built}
                assert built_slugs == {"latest", "1.0"}, [
                    (b.version_slug, b.error, b.commands[-1].output) for b in project_builds(project)
                ]
                target = base / "storage" / slug
                shutil.copytree(os.path.join(app.config["STORAGE_DIR"], slug), target, symlinks=True)
                snapshot = Snapshot(slug, target, [{f: getattr(v, f) for f in VERSION_FIELDS} for v in rows])
                snapshot.commits = {b.version_slug: b.commit for b in project_builds(project) if b.success}
                snapshots[slug] = snapshot
        finally:
            _empty_everything(app)
    return snapshots


def project_builds(project: Project) -> list[Build]:
    return db.session.query(Build).filter_by(project_id=project.id).all()


class Sites:
    """Restores snapshots as projects; extra projects can reuse a snapshot's files under another slug."""

    def __init__(self, app: Flask, snapshots: dict[str, Snapshot]) -> None:
        self.app = app
        self.snapshots = snapshots
        self.owner: Any = factories.UserFactory(username="owner")
        self.sphinx = self.restore("shelf-sphinx")
        self.mkdocs = self.restore("shelf-mkdocs")

    def restore(self, source: str, slug: str | None = None, **project_fields: Any) -> Project:
        snapshot = self.snapshots[source]
        slug = slug or source
        project: Any = factories.ProjectFactory(
            name=slug, slug=slug, with_latest=False, maintainers=[self.owner], **project_fields
        )
        for row in snapshot.versions:
            version = factories.VersionFactory(project=project, **row)
            if row["built"]:
                factories.BuildFactory(version=version, commit=snapshot.commits.get(row["slug"]))
        shutil.copytree(snapshot.storage, os.path.join(self.app.config["STORAGE_DIR"], slug), symlinks=True)
        return project

    def version(self, project: Project, slug: str) -> Version:
        return db.session.query(Version).filter_by(project_id=project.id, slug=slug).one()

    def html(self, project: Project, version: str, *parts: str) -> str:
        return os.path.join(self.app.config["STORAGE_DIR"], project.slug, version, "html", *parts)


@pytest.fixture
def sites(app: Flask, built: dict[str, Snapshot]) -> Iterator[Sites]:
    yield Sites(app, built)
    shutil.rmtree(app.config["STORAGE_DIR"], ignore_errors=True)


@pytest.fixture
def owner_headers(sites: Sites) -> dict[str, str]:
    return {"Authorization": f"Token {factories.make_token(sites.owner)}"}
