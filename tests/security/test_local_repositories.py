"""Issue 13: local repositories only below DOCSHELF_LOCAL_REPOSITORY_ROOTS, never Docshelf's own data.

The attack: with local repositories allowed, a user imported another project's repository cache
(``file://<data dir>/repos/<id>``) and published its private docs publicly. The test app allows local
repositories below pytest's base temporary directory, which also holds the data directory, so these
tests are exactly the case of a root that contains the data directory.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import func, select

from app import storage
from app.extensions import db
from app.models import Project
from app.safety.local_repositories import RepositoryRules, local_path_error, parse_roots
from app.safety.urlcheck import check_outgoing_url, check_repository_url
from tests import conftest, factories
from tests.api.helpers import assert_error
from tests.workers.conftest import GIT_ENV, Repo, fresh, sphinx_files, work
from tests.workers.test_end_to_end import trigger


@pytest.fixture
def victim_cache(app, tmp_path) -> str:
    """A private project's repository cache in the data directory, as a worker leaves it."""
    victim = factories.ProjectFactory(name="Victim", privacy_level="private")
    source = Repo(tmp_path / "victim-source")
    source.commit(sphinx_files("Top secret roadmap"))
    cache = storage.repository_cache(victim.id, app.config["DATA_DIR"])
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    subprocess.run(["git", "clone", "--quiet", "--bare", "--", source.url, cache], check=True, env=GIT_ENV)
    return cache


def _create(client, headers, url: str):
    body = {"name": "Thief", "repository": {"url": url}}
    return client.post("/api/v3/projects/", json=body, headers=headers)


@pytest.mark.parametrize("form", ["path", "file", "file-localhost", "dotdot"])
def test_another_projects_cache_cannot_be_imported(client, headers, victim_cache, tmp_path, form):
    url = {"path": victim_cache, "file": f"file://{victim_cache}",
           "file-localhost": f"file://localhost{victim_cache}",
           "dotdot": f"{tmp_path}/../{os.path.relpath(victim_cache, tmp_path.parent)}"}[form]
    error = assert_error(_create(client, headers, url), 400, "invalid_repository_url")
    assert "data or storage directory" in error["errors"]["repository"]["url"][0]
    assert db.session.scalar(select(func.count(Project.id)).where(Project.slug == "thief")) == 0


def test_a_link_or_git_file_below_a_root_cannot_point_into_the_data_dir(client, headers, victim_cache,
                                                                        tmp_path):
    link = tmp_path / "innocent"
    link.symlink_to(victim_cache)
    assert_error(_create(client, headers, str(link)), 400, "invalid_repository_url")
    gitfile = tmp_path / "worktree"
    gitfile.mkdir()
    (gitfile / ".git").write_text(f"gitdir: {victim_cache}\n")
    error = assert_error(_create(client, headers, str(gitfile)), 400, "invalid_repository_url")
    assert ".git file points elsewhere" in error["detail"]
    borrowing = Repo(tmp_path / "borrowing")
    borrowing.commit({"README": "x\n"})
    (borrowing.path / ".git" / "objects" / "info" / "alternates").write_text(f"{victim_cache}/objects\n")
    error = assert_error(_create(client, headers, borrowing.url), 400, "invalid_repository_url")
    assert "alternates" in error["detail"]


def test_updating_a_project_to_the_cache_is_refused(client, user, headers, victim_cache):
    factories.ProjectFactory(name="Mine", maintainers=[user])
    patch = {"repository": {"url": f"file://{victim_cache}"}}
    response = client.patch("/api/v3/projects/mine/", json=patch, headers=headers)
    assert_error(response, 400, "invalid_repository_url")
    assert db.session.scalar(select(Project.repository_url).where(Project.slug == "mine")).startswith("https://")


def test_a_stored_url_into_the_data_dir_fails_at_clone_time(app, client, user, headers, victim_cache):
    """A project imported before the fix: the worker checks again and reads nothing."""
    factories.ProjectFactory(name="Old", repository_url=f"file://{victim_cache}", maintainers=[user])
    build_id = trigger(client, headers, "old", "latest")
    work()
    build = fresh(build_id)
    assert build.success is False and "data or storage directory" in build.error
    old = db.session.scalar(select(Project).where(Project.slug == "old"))
    assert not os.path.exists(storage.repository_cache(old.id, app.config["DATA_DIR"]))
    assert not os.path.exists(os.path.join(app.config["STORAGE_DIR"], "old"))


def test_paths_outside_the_roots_are_refused(client, headers, tmp_path):
    for url in ("/etc", "file:///etc", "/srv/repo", "file://otherhost/srv/repo", "relative/repo"):
        assert_error(_create(client, headers, url), 400, "invalid_repository_url")
    inside = Repo(tmp_path / "fine")
    inside.commit(sphinx_files("Fine"))
    assert _create(client, headers, inside.url).status_code == 201


def test_without_roots_no_path_is_allowed_even_in_local_mode(app, client, headers, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LOCAL_REPOSITORY_ROOTS", None)
    repo = Repo(tmp_path / "plain")
    repo.commit(sphinx_files("Plain"))
    error = assert_error(_create(client, headers, repo.url), 400, "invalid_repository_url")
    assert "DOCSHELF_LOCAL_REPOSITORY_ROOTS" in error["detail"]
    assert _create(client, headers, "http://127.0.0.1:9/repo.git").status_code == 201  # hosts still local


def test_roots_are_path_separated_and_resolved(tmp_path):
    real, other = tmp_path / "real", tmp_path / "other"
    real.mkdir()
    other.mkdir()
    (tmp_path / "alias").symlink_to(real)
    assert parse_roots(f"{tmp_path / 'alias'}{os.pathsep}{other}") == (str(tmp_path / "alias"), str(other))
    rules = RepositoryRules(local_roots=parse_roots(str(tmp_path / "alias")), forbidden=(str(real / "data"),))
    assert local_path_error(str(real / "repo"), rules) is None  # the root's link is resolved too
    assert local_path_error(str(other / "repo"), rules) is not None
    assert local_path_error(str(real / "data" / "repos" / "1"), rules) is not None
    assert local_path_error(str(real / "data"), rules) is not None


METADATA = [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
    "https://[fe80::1]/repo.git",
    "http://[fd00:ec2::254]/latest/",
    "http://100.100.100.200/latest/meta-data/",
    "http://192.0.0.192/opc/v1/",
    "http://168.63.129.16/machine",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "https://metadata.test/computeMetadata/v1/",
    "git@metadata.test:org/repo.git",
]


@pytest.mark.parametrize("url", METADATA)
def test_link_local_and_metadata_refused_in_every_mode(app, client, headers, monkeypatch, url):
    monkeypatch.setitem(conftest.TEST_DNS, "metadata.test", ["169.254.169.254"])
    local = RepositoryRules(private_hosts=True, local_roots=("/",))
    assert check_repository_url(url, local) is not None
    assert check_repository_url(url, local, strict=True) is not None
    assert check_repository_url(url) is not None
    error = assert_error(_create(client, headers, url), 400, "invalid_repository_url")  # the app allows local
    assert "link-local or cloud metadata" in error["detail"]
    if url.startswith("http"):
        assert check_outgoing_url(url, allow_local=True) is not None  # webhooks with WEBHOOKS_ALLOW_LOCAL
