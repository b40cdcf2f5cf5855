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

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased

from app import locks
from app.errors import RetryableConflict
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
    "warnings", "commit", "external_url",
)

# The rows a project's docs URL and references are derived from (see app.urls.canonical_root).
_relation = aliased(ProjectRelationship, name="own_relation")
_parent = aliased(Project, name="parent")
_main = aliased(Project, name="main")
_main_relation = aliased(ProjectRelationship, name="main_relation")
_main_parent = aliased(Project, name="main_parent")
_LINKED = (_relation.alias, _parent.slug, _main.slug, _main.versioning_scheme, _main_relation.alias,
           _main_parent.slug)
#: The names of :data:`_LINKED`'s values at the end of each project row (read by app.schemas.rows).
LINKED_NAMES = ("own_alias", "parent_slug", "main_slug", "main_versioning_scheme", "main_alias",
                "main_parent_slug")


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


def _rows(stmt: Select[Any], params: dict[str, Any] | None = None) -> Rows:
    return tuple(tuple(row) for row in db.session.execute(stmt, params))


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
    return tuple(tuple(row) for row in db.session.execute(_MAINTAINERS, {"ids": list(project_ids)}))


def _table_columns(source: Any, names: Sequence[str]) -> list[Any]:
    """A model's columns by name."""
    return [getattr(source, name) for name in names]


def _build_columns(source: Any, config: bool) -> list[Any]:
    return _table_columns(source, BUILD_COLUMNS + (("config",) if config else ()))


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
    return tuple(tuple(row) for row in db.session.execute(stmt, {"ids": list(project_ids)}))


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
    return tuple(tuple(row) for row in db.session.execute(_ALIASES, {"ids": ids}))


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


_Built = tuple[tuple[ColumnElement[bool], ...], Select[Any]]
_READER_STATEMENTS: dict[tuple[str, tuple[int, ...]], _Built] = {}


def _per_reader(name: str, principal: Principal | None, private: bool,
                build: Callable[..., Select[Any]]) -> Select[Any]:
    """``build(reader rule SQL[, private access SQL])``, built once per distinct principal: the rules
    give one SQL object per principal (app.policy.rules), and building a detail's statement around it
    cost five times running it. The entry holds the rule objects, so their ids stay theirs."""
    rules = (readable_filter(principal),) + ((private_access_filter(principal),) if private else ())
    key = (name, tuple(id(rule) for rule in rules))
    hit = _READER_STATEMENTS.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], rules, strict=True)):
        return hit[1]
    if len(_READER_STATEMENTS) >= 4096:
        _READER_STATEMENTS.clear()
    stmt = build(*rules)
    _READER_STATEMENTS[key] = (rules, stmt)
    return stmt


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


def _count(stmt: Select[Any]) -> int:
    """The list's count, as :func:`app.api.pagination.paginate_query` counts it."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _page(stmt: Select[Any], limit: int, offset: int, rows: Callable[[Select[Any]], Any]) -> tuple[Any, ...]:
    """(count, limit, offset, rows) of a page; ``rows`` gets the list's statement for the page's rows,
    in the list's order (its representation's order)."""
    count = _count(stmt)
    if offset >= count:
        return (count, limit, offset, ())
    return (count, limit, offset, rows(stmt.limit(limit).offset(offset)))


def _columns_of(stmt: Select[Any], *columns: Any) -> Select[Any]:
    """The list's statement (filters, joins, order, page) selecting ``columns`` instead of its models."""
    return stmt.with_only_columns(*columns, maintain_column_froms=True)


def project_page(stmt: Select[Any], limit: int, offset: int, shape: ProjectShape) -> State:
    """A page of a project list selected by ``stmt`` (a select of ``Project``)."""

    def rows(page: Select[Any]) -> tuple[Rows, Rows, Rows, Rows]:
        return _projects_state(_rows(_with_linked(_columns_of(page, *PROJECT_COLUMNS))), shape)

    return State((_page(stmt, limit, offset, rows), shape))


_VERSION_PROJECTS = _with_linked(_select_from_projects(VERSION_PROJECT_COLUMNS)).where(
    Project.id.in_(bindparam("ids", expanding=True))).order_by(Project.id)


def _version_project(project_ids: Sequence[int]) -> Rows:
    return tuple(tuple(row) for row in db.session.execute(_VERSION_PROJECTS, {"ids": list(project_ids)}))


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
    found = db.session.execute(stmt, {"project_slug": project_slug, "version_slug": version_slug}).first()
    if found is None:
        return None
    row = tuple(found)
    project = _version_project([row[1]])
    if not project:
        return None  # deleted with its project meanwhile: the view's 404
    return State((row, project, _alias_rows((row,)), last_build, build_config), row=(Version, row[0]))


def version_page(stmt: Select[Any], limit: int, offset: int, last_build: bool, build_config: bool) -> State:
    """A page of a version list selected by ``stmt`` (a select of ``Version``)."""

    def rows(page: Select[Any]) -> tuple[Rows, Rows, Rows]:
        query = _columns_of(page, *_table_columns(Version, VERSION_COLUMNS))
        if last_build:
            query = query.add_columns(*_build_columns(Build, build_config)).outerjoin(
                Build, Build.id == Version.last_build_id)
        versions = _rows(query)
        ids = sorted({row[1] for row in versions})
        projects = _version_project(ids)
        if len(projects) != len(ids):
            raise RetryableConflict("The list changed while it was read; retry.")  # its project deleted
        return (versions, projects, _alias_rows(versions))

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
    found = db.session.execute(stmt, params).first()
    if found is None:
        return None
    row = tuple(found)
    state, finished = row[BUILD_COLUMNS.index("state")], row[BUILD_COLUMNS.index("finished")]
    return State((row, config), row=(Build, row[0]),
                 last_modified=finished if state in FINAL_STATES else None)


def build_page(stmt: Select[Any], limit: int, offset: int, config: bool) -> State:
    """A page of a build list selected by ``stmt`` (a select of ``Build``)."""

    def rows(page: Select[Any]) -> Rows:
        return _rows(_columns_of(page, *_build_columns(Build, config)))

    return State((_page(stmt, limit, offset, rows), config))


def lock(state: State) -> None:
    """Hold the state's row until the write's transaction ends (:mod:`app.locks`), so the state read
    next is the one the write applies to."""
    if state.row is not None:
        model, row_id = state.row
        locks.lock_rows(model, [row_id])
        db.session.expire_all()  # what the request loaded before the lock is read again under it
