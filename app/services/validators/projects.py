"""A project's state: its row with the rows its docs URL is derived from, its maintainers, and (when
expanded) its active versions with the versions their ``aliases`` stand for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Build, Project, ProjectRelationship, User, Version, project_maintainers
from app.policy import Principal, readable_filter
from app.services.validators.core import (
    VERSION_COLUMNS,
    Rows,
    State,
    _build_columns,
    _columns_of,
    _page,
    _per_reader,
    _rows,
    _table_columns,
)

#: A project's columns that its representation shows (``main_language_project_id``: its translation
#: link; the linked projects' own columns come from the joins of :func:`_project_rows`).
PROJECT_COLUMNS = (
    Project.id, Project.name, Project.slug, Project.created, Project.modified, Project.language,
    Project.programming_language, Project.homepage, Project.repository_url, Project.repository_type,
    Project.repository_credentials_kind, Project.default_version, Project.default_branch,
    Project.privacy_level, Project.external_builds_privacy_level, Project.readthedocs_yaml_path,
    Project.versioning_scheme, Project.tags, Project.main_language_project_id, Project.analytics_code,
    Project.analytics_disabled, Project.external_builds_enabled,
)
#: What a version's representation reads of its project (its links, downloads, docs and VCS URLs).
VERSION_PROJECT_COLUMNS = (
    Project.id, Project.slug, Project.language, Project.repository_url, Project.versioning_scheme,
    Project.main_language_project_id,
)


# The rows a project's docs URL and references are derived from (see app.urls.canonical_root).
_relation = aliased(ProjectRelationship, name="own_relation")
_parent = aliased(Project, name="parent")
_main = aliased(Project, name="main")
_main_relation = aliased(ProjectRelationship, name="main_relation")
_main_parent = aliased(Project, name="main_parent")
_LINKED = (_relation.alias, _parent.slug, _main.slug, _main.versioning_scheme, _main_relation.alias,
           _main_parent.slug, Project.canonical_url, _parent.canonical_url, _main.canonical_url,
           _main_parent.canonical_url)
#: The names of :data:`_LINKED`'s values at the end of each project row (read by app.schemas.rows).
LINKED_NAMES = ("own_alias", "parent_slug", "main_slug", "main_versioning_scheme", "main_alias",
                "main_parent_slug", "own_canonical_url", "parent_canonical_url", "main_canonical_url",
                "main_parent_canonical_url")


def _with_linked(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (a select from projects) with the rows each project's docs URL is derived from: at
    most one of each per project, so no project is repeated."""
    return (
        stmt.add_columns(*_LINKED)
        .outerjoin(_relation, _relation.child_id == Project.id)
        .outerjoin(_parent, _parent.id == _relation.parent_id)
        .outerjoin(_main, _main.id == Project.main_language_project_id)
        .outerjoin(_main_relation, _main_relation.child_id == _main.id)
        .outerjoin(_main_parent, _main_parent.id == _main_relation.parent_id)
    )


def _select_from_projects(columns: Sequence[Any]) -> Select[Any]:
    return select(*columns).select_from(Project)


def _project_rows(where: ColumnElement[bool], columns: Sequence[Any]) -> Rows:
    return _rows(_with_linked(_select_from_projects(columns)).where(where).order_by(Project.id))


# Statements every read of a project runs, built once (building one cost as much as running it).
_pm = project_maintainers.c
_MAINTAINERS = (
    select(_pm.project_id, User.id, User.username)
    .join(User, User.id == _pm.user_id)
    .where(_pm.project_id.in_(bindparam("ids", expanding=True)))
    .order_by(_pm.project_id, User.username, User.id)
)


def _maintainers(project_ids: Sequence[int]) -> Rows:
    return _rows(_MAINTAINERS, {"ids": list(project_ids)})


def _active_versions_stmt(last_build: bool, build_config: bool) -> Select[Any]:
    stmt = select(*_table_columns(Version, VERSION_COLUMNS)).where(
        Version.project_id.in_(bindparam("ids", expanding=True)), Version.active.is_(True),
        Version.built.is_(True), Version.privacy_level == "public", Version.type != "external",
    )
    if last_build:
        stmt = stmt.add_columns(*_build_columns(Build, build_config)).outerjoin(
            Build, Build.id == Version.last_build_id)
    return stmt.order_by(Version.project_id, Version.id)


_ACTIVE_VERSIONS = {(last, config): _active_versions_stmt(last, config)
                    for last in (False, True) for config in (False, True)}


def _active_versions(project_ids: Sequence[int], last_build: bool, build_config: bool) -> Rows:
    """What ``expand=active_versions`` embeds: the same filter as ProjectSchema.get_active_versions."""
    stmt = _ACTIVE_VERSIONS[last_build, build_config and last_build]
    return _rows(stmt, {"ids": list(project_ids)})


_machine = aliased(Version, name="machine")
_alias = aliased(Version, name="alias")
#: The versions the projects' ``latest``/``stable`` stand for (:func:`app.services.versions.alias_of`),
#: whatever their state: a change of one changes the machine version's ``aliases``. Rows: the machine
#: version's id, then the candidate's VERSION_COLUMNS (the first by id is the one alias_of picks).
_ALIASES = (
    select(_machine.id, *_table_columns(_alias, VERSION_COLUMNS))
    .join(_alias, and_(_alias.project_id == _machine.project_id, _alias.machine.is_(False),
                       _alias.verbose_name == case((_machine.slug == "stable", _machine.ref),
                                                   else_=_machine.identifier),
                       _alias.type == _machine.type))
    .where(_machine.id.in_(bindparam("ids", expanding=True)), _machine.machine.is_(True),
           _machine.slug.in_(("latest", "stable")))
    .order_by(_machine.id, _alias.id)
)


_V = {name: n for n, name in enumerate(VERSION_COLUMNS)}


def _alias_rows(versions: Rows) -> Rows:
    """The alias candidates of the machine ``latest``/``stable`` among ``versions`` (no query when
    there is no ``latest`` or ``stable``; the query keeps the machine ones)."""
    ids = sorted({row[_V["id"]] for row in versions if row[_V["slug"]] in ("latest", "stable")})
    if not ids:
        return ()
    return _rows(_ALIASES, {"ids": ids})


@dataclass(frozen=True)
class ProjectShape:
    """Which expandable parts of a project's representation this request shows."""

    active_versions: bool = False
    last_build: bool = False
    build_config: bool = False
    #: The caller as ``permissions`` sees it, (user id, is an administrator), when that is expanded.
    viewer: tuple[int | None, bool] | None = None


def _projects_state(rows: Rows, shape: ProjectShape) -> tuple[Rows, Rows, Rows, Rows]:
    """(projects, maintainers, active versions, their aliases) of the project rows ``rows``."""
    ids = [row[0] for row in rows]
    if not ids:
        return rows, (), (), ()
    versions = _active_versions(ids, shape.last_build, shape.build_config) if shape.active_versions else ()
    return rows, _maintainers(ids), versions, _alias_rows(versions)


def _project_by_slug(readable: ColumnElement[bool]) -> Select[Any]:
    return (_with_linked(_select_from_projects(PROJECT_COLUMNS))
            .where(Project.slug == bindparam("slug"), readable).order_by(Project.id))


def project(slug: str, principal: Principal | None, shape: ProjectShape) -> State | None:
    """A project's detail; None when it does not exist or the caller may not read it."""
    stmt = _per_reader("project", principal, False, _project_by_slug)
    found = _projects_state(_rows(stmt, {"slug": slug}), shape)
    if not found[0]:
        return None
    return State((found, shape), row=(Project, found[0][0][0]))


def superproject(slug: str, principal: Principal | None, shape: ProjectShape) -> State | None:
    """The superproject's detail as ``/<slug>/superproject/`` shows it (both must be readable)."""
    parent_id = db.session.scalar(
        select(ProjectRelationship.parent_id)
        .join(Project, Project.id == ProjectRelationship.child_id)
        .where(Project.slug == slug, readable_filter(principal))
    )
    if parent_id is None:
        return None
    readable_parent = (Project.id == parent_id) & readable_filter(principal)
    found = _projects_state(_project_rows(readable_parent, PROJECT_COLUMNS), shape)
    return State((found, shape)) if found[0] else None


def project_page(stmt: Select[Any], limit: int, offset: int, shape: ProjectShape) -> State:
    """A page of a project list selected by ``stmt`` (a select of ``Project``)."""

    def columns(page: Select[Any]) -> Select[Any]:
        return _with_linked(_columns_of(page, *PROJECT_COLUMNS))

    return State((_page(stmt, limit, offset, "projects", columns, lambda rows: _projects_state(rows, shape)),
                  shape))


_VERSION_PROJECTS = _with_linked(_select_from_projects(VERSION_PROJECT_COLUMNS)).where(
    Project.id.in_(bindparam("ids", expanding=True))).order_by(Project.id)


def _version_project(project_ids: Sequence[int]) -> Rows:
    return _rows(_VERSION_PROJECTS, {"ids": list(project_ids)})
