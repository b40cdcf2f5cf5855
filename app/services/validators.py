"""What a representation is built from, read with narrow Core queries: the validators behind ETags.

A conditional request (:mod:`app.api.conditional`) is answered 304 when nothing a representation
depends on has changed, so each function here reads exactly that, as plain rows and without building
ORM objects: the columns the representation shows or derives a value from, the rows its links are
derived from, and, for a list, the count and the page's rows picked with the list's own statement
(same filters, ordering, limit and offset). Exactly, in both directions: a column that is missing
would let a client keep a stale body (the worst outcome), one that is not shown would change the
ETag for nothing.

What the representations depend on, column by column (``app/schemas``):

* a project: its own shown columns (``modified`` included, so any update of the row counts), its
  maintainers (``users``; ``permissions`` compares the caller with them), and the projects its docs
  URL and references are derived from: the main project of a translation, the superproject of either
  and the subproject alias (:func:`app.urls.docs_url`); with ``expand=active_versions``, the active,
  built, public versions (and their last builds when expanded);
* a version: its shown columns, its project's slug, language and repository URL, and the same docs
  URL rows as its project; for ``latest``/``stable``, the version its ``aliases`` embed;
* a build: its shown columns (``duration`` derives from ``started``/``finished``); the project slug
  in its links is the one in the URL.

A read also applies the reader rule in its SQL form (:func:`app.policy.readable_filter`, the same rule
as the views' ``can_read``), so a caller who may not see a project gets ``None`` here and the view's
own 404, never a 304 that would say the project exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased

from app import locks
from app.extensions import db
from app.models import FINAL_STATES, Build, Project, ProjectRelationship, User, Version, project_maintainers
from app.policy import Principal, private_access_filter, readable_filter

Rows = tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class State:
    """A representation's inputs as read now: equal states give equal representations."""

    values: tuple[Any, ...]
    #: The row a conditional write locks before comparing, so that two writers holding the same
    #: ETag cannot both pass: (model, id).
    row: tuple[type[Any], int] | None = None
    #: When the representation last changed, where a column says so exactly (a finished build).
    last_modified: datetime | None = None


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
VERSION_COLUMNS = (
    "id", "project_id", "slug", "verbose_name", "identifier", "ref", "built", "active", "hidden", "type",
    "privacy_level", "built_formats",
)
BUILD_COLUMNS = (
    "id", "project_id", "version_slug", "created", "started", "finished", "state", "success", "error",
    "warnings", "commit",
)

# The rows a project's docs URL and references are derived from (see app.urls.canonical_root).
_relation = aliased(ProjectRelationship, name="own_relation")
_parent = aliased(Project, name="parent")
_main = aliased(Project, name="main")
_main_relation = aliased(ProjectRelationship, name="main_relation")
_main_parent = aliased(Project, name="main_parent")
_LINKED = (_relation.alias, _parent.slug, _main.slug, _main.versioning_scheme, _main_relation.alias,
           _main_parent.slug)


def _project_rows(where: ColumnElement[bool], columns: Sequence[Any]) -> Rows:
    stmt = (
        select(*columns, *_LINKED)
        .select_from(Project)
        .outerjoin(_relation, _relation.child_id == Project.id)
        .outerjoin(_parent, _parent.id == _relation.parent_id)
        .outerjoin(_main, _main.id == Project.main_language_project_id)
        .outerjoin(_main_relation, _main_relation.child_id == _main.id)
        .outerjoin(_main_parent, _main_parent.id == _main_relation.parent_id)
        .where(where)
        .order_by(Project.id)
    )
    return tuple(tuple(row) for row in db.session.execute(stmt))


def _maintainers(project_ids: Sequence[int]) -> Rows:
    pm = project_maintainers.c
    stmt = (
        select(pm.project_id, User.id, User.username)
        .join(User, User.id == pm.user_id)
        .where(pm.project_id.in_(project_ids))
        .order_by(pm.project_id, User.username, User.id)
    )
    return tuple(tuple(row) for row in db.session.execute(stmt))


def _table_columns(source: Any, names: Sequence[str]) -> list[Any]:
    """Columns by name of a model or of a page's subquery."""
    if isinstance(source, Subquery):
        return [source.c[name] for name in names]
    return [getattr(source, name) for name in names]


def _build_columns(source: Any, config: bool) -> list[Any]:
    return _table_columns(source, BUILD_COLUMNS + (("config",) if config else ()))


def _active_versions(project_ids: Sequence[int], last_build: bool, build_config: bool) -> Rows:
    """What ``expand=active_versions`` embeds: the same filter as ProjectSchema.get_active_versions."""
    stmt = select(*_table_columns(Version, VERSION_COLUMNS)).where(
        Version.project_id.in_(project_ids), Version.active.is_(True), Version.built.is_(True),
        Version.privacy_level == "public",
    )
    if last_build:
        stmt = stmt.add_columns(*_build_columns(Build, build_config)).outerjoin(
            Build, Build.id == Version.last_build_id)
    stmt = stmt.order_by(Version.project_id, Version.id)
    return tuple(tuple(row) for row in db.session.execute(stmt)) + _alias_rows(project_ids)


_machine = aliased(Version, name="machine")
_alias = aliased(Version, name="alias")


def _alias_rows(project_ids: Sequence[int]) -> Rows:
    """The versions the projects' ``latest``/``stable`` stand for (:func:`app.services.versions.alias_of`),
    whatever their state: a change of one changes the machine version's ``aliases``."""
    followed = case((_machine.slug == "stable", _machine.ref), else_=_machine.identifier)
    stmt = (
        select(_machine.id, *_table_columns(_alias, VERSION_COLUMNS))
        .join(_alias, and_(_alias.project_id == _machine.project_id, _alias.machine.is_(False),
                           _alias.verbose_name == followed, _alias.type == _machine.type))
        .where(_machine.project_id.in_(project_ids), _machine.machine.is_(True),
               _machine.slug.in_(("latest", "stable")))
        .order_by(_machine.id, _alias.id)
    )
    return tuple(tuple(row) for row in db.session.execute(stmt))


@dataclass(frozen=True)
class ProjectShape:
    """Which expandable parts of a project's representation this request shows."""

    active_versions: bool = False
    last_build: bool = False
    build_config: bool = False
    #: The caller as ``permissions`` sees it, (user id, is an administrator), when that is expanded.
    viewer: tuple[int | None, bool] | None = None


def _projects_state(where: ColumnElement[bool], shape: ProjectShape) -> tuple[Rows, Rows, Rows]:
    rows = _project_rows(where, PROJECT_COLUMNS)
    ids = [row[0] for row in rows]
    if not ids:
        return rows, (), ()
    versions = _active_versions(ids, shape.last_build, shape.build_config) if shape.active_versions else ()
    return rows, _maintainers(ids), versions


def project(slug: str, principal: Principal | None, shape: ProjectShape) -> State | None:
    """A project's detail; None when it does not exist or the caller may not read it."""
    rows, maintainers, versions = _projects_state(
        (Project.slug == slug) & readable_filter(principal), shape)
    if not rows:
        return None
    return State((rows, maintainers, versions, shape), row=(Project, rows[0][0]))


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
    rows, maintainers, versions = _projects_state(readable_parent, shape)
    return State((rows, maintainers, versions, shape)) if rows else None


def _count(stmt: Select[Any]) -> int:
    """The list's count, as :func:`app.api.pagination.paginate_query` counts it."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _page(stmt: Select[Any], limit: int, offset: int, rows: Callable[[Subquery], Any]) -> tuple[Any, ...]:
    count = _count(stmt)
    if offset >= count:
        return (count, limit, offset, ())
    return (count, limit, offset, rows(stmt.limit(limit).offset(offset).subquery()))


def project_page(stmt: Select[Any], limit: int, offset: int, shape: ProjectShape) -> State:
    """A page of a project list selected by ``stmt`` (a select of ``Project``)."""

    def rows(page: Subquery) -> tuple[Rows, Rows, Rows]:
        return _projects_state(Project.id.in_(select(page.c.id)), shape)

    return State((_page(stmt, limit, offset, rows), shape))


def _version_project(project_ids: Sequence[int]) -> Rows:
    return _project_rows(Project.id.in_(project_ids), VERSION_PROJECT_COLUMNS) + _alias_rows(project_ids)


def version(project_slug: str, version_slug: str, principal: Principal | None, last_build: bool,
            build_config: bool) -> State | None:
    """A version's detail, with the reader rule of :func:`app.services.versions.get_version`."""
    stmt = (
        select(*_table_columns(Version, VERSION_COLUMNS))
        .join(Project, Project.id == Version.project_id)
        .where(
            Project.slug == project_slug, readable_filter(principal), Version.slug == version_slug,
            or_(Version.privacy_level == "public", private_access_filter(principal)),
        )
    )
    if last_build:
        stmt = stmt.add_columns(*_build_columns(Build, build_config)).outerjoin(
            Build, Build.id == Version.last_build_id)
    found = db.session.execute(stmt).first()
    if found is None:
        return None
    row = tuple(found)
    return State((row, _version_project([row[1]]), last_build, build_config), row=(Version, row[0]))


def version_page(stmt: Select[Any], limit: int, offset: int, last_build: bool, build_config: bool) -> State:
    """A page of a version list selected by ``stmt`` (a select of ``Version``)."""

    def rows(page: Subquery) -> tuple[Rows, Rows]:
        query = select(*_table_columns(page, VERSION_COLUMNS))
        if last_build:
            query = query.add_columns(*_build_columns(Build, build_config)).outerjoin(
                Build, Build.id == page.c.last_build_id)
        versions = tuple(tuple(row) for row in db.session.execute(query.order_by(page.c.id)))
        return (versions, _version_project(sorted({row[1] for row in versions})))

    return State((_page(stmt, limit, offset, rows), last_build, build_config))


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
    stmt = _BUILD_BY_ID[config].where(readable_filter(principal))
    if version_slug is not None:
        stmt = stmt.join(Version, Version.id == Build.version_id).where(
            Version.project_id == Project.id, Version.slug == version_slug,
            or_(Version.privacy_level == "public", private_access_filter(principal)),
        )
    found = db.session.execute(stmt, {"project_slug": project_slug, "build_id": build_id}).first()
    if found is None:
        return None
    row = tuple(found)
    state, finished = row[BUILD_COLUMNS.index("state")], row[BUILD_COLUMNS.index("finished")]
    return State((row, config), row=(Build, row[0]),
                 last_modified=finished if state in FINAL_STATES else None)


def build_page(stmt: Select[Any], limit: int, offset: int, config: bool) -> State:
    """A page of a build list selected by ``stmt`` (a select of ``Build``)."""

    def rows(page: Subquery) -> Rows:
        query = select(*_build_columns(page, config)).order_by(page.c.id)
        return tuple(tuple(row) for row in db.session.execute(query))

    return State((_page(stmt, limit, offset, rows), config))


def lock(state: State) -> None:
    """Hold the state's row until the write's transaction ends (:mod:`app.locks`), so the state read
    next is the one the write applies to."""
    if state.row is not None:
        model, row_id = state.row
        locks.lock_rows(model, [row_id])
        db.session.expire_all()  # what the request loaded before the lock is read again under it
