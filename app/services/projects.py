"""Projects: import, update, delete, and the queries behind the lists (who sees which: :mod:`app.policy`)."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app import locks, storage
from app.errors import Conflict, PermissionDenied, QuotaExceeded, RetryableError, ValidationError
from app.extensions import db
from app.models import Build, Project, ProjectReadGrant, ProjectRelationship, User, Version
from app.models.build import RUNNING_STATES
from app.models.project import SINGLE_VERSION, project_maintainers
from app.policy import Principal, reach_filter, rule_inputs
from app.services.builds import trigger_build
from app.services.queueing import enqueue_sync_versions
from app.services.repositories import apply_repository, record_change
from app.services.statement_cache import built_once

log = logging.getLogger(__name__)

_SIMPLE_FIELDS = (
    "name",
    "language",
    "programming_language",
    "homepage",
    "default_version",
    "default_branch",
    "privacy_level",
    "external_builds_privacy_level",
    "readthedocs_yaml_path",
    "versioning_scheme",
    "tags",
    "analytics_code",
    "analytics_disabled",
    "external_builds_enabled",
)


def slugify(value: str) -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    value = re.sub(r"[^\w\s-]", "", value.lower())
    return re.sub(r"[-\s_]+", "-", value).strip("-")[:63].strip("-")


def base_query() -> Select[Project]:
    """Projects with what every representation needs, eager-loaded (no query per item)."""
    return select(Project).options(
        selectinload(Project.users),
        # The docs URL of a translation lives under its main project (and maybe that one's parent).
        selectinload(Project.main_language_project)
        .selectinload(Project.superproject_relation)
        .selectinload(ProjectRelationship.parent),
        selectinload(Project.superproject_relation).selectinload(ProjectRelationship.parent),
    )


def with_active_versions(stmt: Select[Any], with_last_build: bool = False) -> Select[Any]:
    def build() -> Select[Any]:
        load = selectinload(Project.versions)
        if with_last_build:
            load = load.selectinload(Version.last_build)
        return stmt.options(load)

    return built_once(("with_active_versions", id(stmt), with_last_build), (stmt,), build)


def listed_for(principal: Principal, filters: dict[str, Any]) -> Select[Project]:
    """``GET /projects/``: the projects the person maintains (Read the Docs' answer), within the
    credential's reach. An administrator's list holds every project unless ``mine`` narrows it to
    their own; ``shared`` lists instead the projects others shared with the person (read grants).
    ``name`` and ``slug`` keep those containing the text, in any case.

    Built once per distinct reader and filters (the same object then keys the page's statement)."""
    key = ("listed_for", rule_inputs(principal), tuple(sorted(filters.items())))
    return built_once(key, (), lambda: _listed_for(principal, filters))


def _listed_for(principal: Principal, filters: dict[str, Any]) -> Select[Project]:
    user = principal.person  # what the key holds (rule_inputs), not the row
    user_id = user.id if user is not None else None  # a bot maintains nothing
    stmt = base_query().where(reach_filter(principal))
    if filters.get("shared"):
        granted = select(ProjectReadGrant.project_id).where(ProjectReadGrant.user_id == user_id)
        stmt = stmt.where(Project.id.in_(granted))
    elif user is None or not user.is_admin or filters.get("mine"):
        maintained = select(project_maintainers.c.project_id).where(project_maintainers.c.user_id == user_id)
        stmt = stmt.where(Project.id.in_(maintained))
    if filters.get("language"):
        stmt = stmt.where(Project.language == filters["language"])
    if filters.get("programming_language"):
        stmt = stmt.where(Project.programming_language == filters["programming_language"])
    for name in ("name", "slug"):
        if filters.get(name):
            stmt = stmt.where(getattr(Project, name).icontains(filters[name], autoescape=True))
    return stmt.order_by(Project.id)


def create_project(user: User, data: dict[str, Any]) -> Project:
    if user.role == "viewer":
        raise PermissionDenied("Viewers cannot import projects.")
    project = Project(slug="", tags=[])
    credentials_change = apply_repository(project, data["repository"], creating=True)  # URL rules first
    from app.services.quotas import check_new_project

    check_new_project(user)
    slug = slugify(data["name"])
    if not slug:
        raise ValidationError(
            "Invalid project name: it has no letters or digits.",
            errors={"name": ["Invalid project name: it has no letters or digits."]},
        )
    if db.session.scalar(select(Project.id).where(Project.slug == slug)) is not None:
        raise ValidationError(
            f"Project with slug '{slug}' already exists.",
            errors={"name": [f"Project with slug '{slug}' already exists."]},
        )
    project.slug = slug
    _apply(project, data)
    project.users = [user]
    project.versions = [
        Version(
            slug="latest",
            verbose_name="latest",
            identifier=project.default_branch or "",
            type="branch",
            active=True,
            machine=True,
        )
    ]
    db.session.add(project)
    record_change(project, credentials_change)
    db.session.commit()  # the unique slug constraint settles a concurrent create (IntegrityError → 409)
    if current_app.config.get("BUILD_ON_IMPORT", True):
        build_imported(project, user)
    return project


def build_imported(project: Project, user: User) -> None:
    """What Read the Docs does on import: build the default version, whose clone step syncs the
    branches and tags. The import itself stands whatever happens here: over the build quota the
    versions are still synced (no build), and a queue that is down leaves the build row saying so."""
    active = {v.slug: v for v in project.versions if v.active}
    version = active.get(project.default_version or "") or active.get("latest")
    if version is None:
        return
    try:
        trigger_build(project, version, user)
    except QuotaExceeded:
        db.session.rollback()
        try:
            request_sync_versions(project)
        except Exception:  # Redis down: the project is there, and its first build will sync
            log.warning("could not queue the sync of imported project %s", project.slug, exc_info=True)
    except RetryableError:
        db.session.rollback()  # trigger_build ended the build as "could not be queued"


def update_project(project: Project, data: dict[str, Any]) -> Project:
    if "repository" in data:
        record_change(project, apply_repository(project, data["repository"]))
    _apply(project, data)
    db.session.commit()
    return project


def _apply(project: Project, data: dict[str, Any]) -> None:
    for name in _SIMPLE_FIELDS:
        if name in data:
            setattr(project, name, data[name])
    if data.get("homepage") == "":
        project.homepage = None
    if data.get("analytics_code") == "":
        project.analytics_code = None
    if "single_version" in data and "versioning_scheme" not in data:
        project.versioning_scheme = (
            SINGLE_VERSION
            if data["single_version"]
            else "multiple_versions_with_translations"
        )


@contextmanager
def locked(project: Project) -> Iterator[None]:
    """One transaction holding the project row's lock, for rules that span several rows
    (dense redirect positions, env var totals); see :mod:`app.locks`.

    Commits on success; on any failure rolls back, which also releases the lock at once.
    """
    with locks.locked(Project, project.id):
        yield


def has_running_build(project: Project) -> bool:
    return (
        db.session.scalar(
            select(Build.id).where(Build.project_id == project.id, Build.state.in_(RUNNING_STATES)).limit(1)
        )
        is not None
    )


def delete_project(project: Project) -> None:
    if has_running_build(project):
        raise Conflict("The project has a build running; cancel it or wait for it to finish.")
    slug, project_id = project.slug, project.id
    build_ids = list(db.session.scalars(select(Build.id).where(Build.project_id == project_id)))
    db.session.delete(project)
    db.session.commit()
    try:
        storage.remove_project(slug)
        storage.remove_logs(build_ids)  # finished logs moved to object storage (nothing otherwise)
    except storage.StorageUnavailable:  # the rows are gone; the objects are only orphans now
        log.warning("project %s deleted, but its files are still in storage", slug, exc_info=True)
    storage.remove_repository_cache(project_id)


def superproject_of(project: Project) -> Project | None:
    relation = project.superproject_relation
    return relation.parent if relation else None


def request_sync_versions(project: Project) -> bool:
    """Queue a version sync; False when there is nothing to sync from (no repository URL)."""
    if not project.repository_url:
        return False
    enqueue_sync_versions(project.id)
    return True
