"""A version's and a build's states (details and pages)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, or_, select

from app.errors import RetryableConflict
from app.models import FINAL_STATES, Build, Project, Version
from app.policy import Principal
from app.services.validators.core import (
    BUILD_COLUMNS,
    VERSION_COLUMNS,
    Rows,
    State,
    _build_columns,
    _columns_of,
    _execute,
    _page,
    _per_reader,
    _table_columns,
)
from app.services.validators.projects import _alias_rows, _version_project


def version(project_slug: str, version_slug: str, principal: Principal | None, last_build: bool,
            build_config: bool) -> State | None:
    """A version's detail, with the reader rule of :func:`app.services.versions.get_version`."""
    def statement(readable: ColumnElement[bool], private: ColumnElement[bool]) -> Select[Any]:
        stmt = (
            select(*_table_columns(Version, VERSION_COLUMNS))
            .join(Project, Project.id == Version.project_id)
            .where(
                Project.slug == bindparam("project_slug"), readable,
                Version.slug == bindparam("version_slug"), or_(Version.privacy_level == "public", private),
            )
        )
        if last_build:
            stmt = stmt.add_columns(*_build_columns(Build, build_config)).outerjoin(
                Build, Build.id == Version.last_build_id)
        return stmt

    stmt = _per_reader(f"version-{last_build}-{build_config}", principal, True, statement)
    found = _execute(stmt, {"project_slug": project_slug, "version_slug": version_slug}).first()
    if found is None:
        return None
    row = tuple(found)
    project = _version_project([row[1]])
    if not project:
        return None  # deleted with its project meanwhile: the view's 404
    return State((row, project, _alias_rows((row,)), last_build, build_config), row=(Version, row[0]))


def version_page(stmt: Select[Any], limit: int, offset: int, last_build: bool, build_config: bool) -> State:
    """A page of a version list selected by ``stmt`` (a select of ``Version``)."""

    def columns(page: Select[Any]) -> Select[Any]:
        query = _columns_of(page, *_table_columns(Version, VERSION_COLUMNS))
        if last_build:
            query = query.add_columns(*_build_columns(Build, build_config)).outerjoin(
                Build, Build.id == Version.last_build_id)
        return query

    def rest(versions: Rows) -> tuple[Rows, Rows, Rows]:
        ids = sorted({row[1] for row in versions})
        projects = _version_project(ids)
        if len(projects) != len(ids):
            raise RetryableConflict("The list changed while it was read; retry.")  # its project deleted
        return (versions, projects, _alias_rows(versions))

    return State((_page(stmt, limit, offset, ("versions", last_build, build_config), columns, rest),
                  last_build, build_config))


#: A build by project slug and id, built once (a CI job polls this): the reader rule is added per caller.
_BUILD_BY_ID = {
    config: select(*_build_columns(Build, config))
    .join(Project, Project.id == Build.project_id)
    .where(Project.slug == bindparam("project_slug"), Build.id == bindparam("build_id"))
    for config in (False, True)
}


def build(project_slug: str, build_id: int, principal: Principal | None, config: bool,
          version_slug: str | None = None) -> State | None:
    """A build's detail, project-wide or under its version (with that version's reader rule)."""
    params: dict[str, Any] = {"project_slug": project_slug, "build_id": build_id}
    if version_slug is None:
        stmt = _per_reader(f"build-{config}", principal, False, _BUILD_BY_ID[config].where)
    else:
        def under_version(readable: ColumnElement[bool], private: ColumnElement[bool]) -> Select[Any]:
            return _BUILD_BY_ID[config].where(readable).join(Version, Version.id == Build.version_id).where(
                Version.project_id == Project.id, Version.slug == bindparam("version_slug"),
                or_(Version.privacy_level == "public", private),
            )

        stmt = _per_reader(f"version-build-{config}", principal, True, under_version)
        params["version_slug"] = version_slug
    found = _execute(stmt, params).first()
    if found is None:
        return None
    row = tuple(found)
    state, finished = row[BUILD_COLUMNS.index("state")], row[BUILD_COLUMNS.index("finished")]
    return State((row, config), row=(Build, row[0]),
                 last_modified=finished if state in FINAL_STATES else None)


def build_page(stmt: Select[Any], limit: int, offset: int, config: bool) -> State:
    """A page of a build list selected by ``stmt`` (a select of ``Build``)."""

    def columns(page: Select[Any]) -> Select[Any]:
        return _columns_of(page, *_build_columns(Build, config))

    return State((_page(stmt, limit, offset, ("builds", config), columns), config))
