"""Where built sites and downloads live: a local directory tree (an object-store backend can replace it).

Layout: ``<STORAGE_DIR>/<project>/<version>/html/`` for the site and
``<STORAGE_DIR>/<project>/<version>/downloads/<project>.<ext>`` for archives.
"""

from __future__ import annotations

import os
import shutil

from flask import current_app


def root(storage_dir: str | None = None) -> str:
    return storage_dir or current_app.config["STORAGE_DIR"]


def project_dir(project_slug: str, storage_dir: str | None = None) -> str:
    return os.path.join(root(storage_dir), project_slug)


def version_dir(project_slug: str, version_slug: str, storage_dir: str | None = None) -> str:
    return os.path.join(project_dir(project_slug, storage_dir), version_slug)


def remove_project(project_slug: str, storage_dir: str | None = None) -> None:
    shutil.rmtree(project_dir(project_slug, storage_dir), ignore_errors=True)


def repository_cache(project_id: int, data_dir: str | None = None) -> str:
    """The bare clone the workers keep per project (``<DATA_DIR>/repos/<id>``)."""
    return os.path.join(data_dir or current_app.config["DATA_DIR"], "repos", str(project_id))


def remove_repository_cache(project_id: int, data_dir: str | None = None) -> None:
    # Ids can be reused (SQLite): a deleted project's clone must not linger for the next one.
    shutil.rmtree(repository_cache(project_id, data_dir), ignore_errors=True)


def remove_version(project_slug: str, version_slug: str, storage_dir: str | None = None) -> None:
    shutil.rmtree(version_dir(project_slug, version_slug, storage_dir), ignore_errors=True)
