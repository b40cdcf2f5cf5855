"""The states of :mod:`app.services.validators` as their bodies: the layouts are the validators',
the items :mod:`app.schemas.rows`' (see there for why reads are built from rows)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from app.schemas import item_memo
from app.schemas.rows import (
    PROJECT_NAMES,
    VERSION_PROJECT_NAMES,
    Row,
    build,
    build_names,
    linked,
    project,
    version,
    version_last_build,
    version_names,
)
from app.services import validators
from app.services.validators import ProjectShape
from app.services.versions import alias_shown


def aliases(versions: Iterable[Row], candidates: Sequence[Sequence[Any]]) -> dict[int, Row]:
    """Machine version id → the version it stands for, as :func:`app.services.versions.alias_of`
    picks it from the validators' candidates: the first by id, when active, and never a private one
    under a public ``latest``/``stable``."""
    first: dict[int, Row] = {}
    for machine_id, *columns in candidates:
        first.setdefault(machine_id, dict(zip(validators.VERSION_COLUMNS, columns, strict=True)))
    out = {}
    for v in versions:
        found = first.get(v["id"])
        if found is not None and alias_shown(v["privacy_level"], found["active"], found["privacy_level"]):
            out[v["id"]] = found
    return out


def project_rows(rows: Sequence[Sequence[Any]], maintainers: Sequence[Sequence[Any]],
                 versions: Sequence[Sequence[Any]], candidates: Sequence[Sequence[Any]],
                 shape: ProjectShape) -> list[dict[str, Any]]:
    """The dumps of a page (or a detail) of projects from :func:`validators.project`'s rows."""
    users: dict[int, list[str]] = {}
    maintainer_ids: dict[int, list[int]] = {}
    for project_id, user_id, username in maintainers:
        users.setdefault(project_id, []).append(username)
        maintainer_ids.setdefault(project_id, []).append(user_id)
    embedded: dict[int, list[Row]] = {}
    alias_of: dict[int, Row] = {}
    if shape.active_versions:
        names = version_names(shape.last_build, shape.build_config)
        for row in versions:
            item = dict(zip(names, row, strict=True))
            embedded.setdefault(item["project_id"], []).append(item)
        alias_of = aliases((v for items in embedded.values() for v in items), candidates)
    out = []
    for row in rows:
        pid = row[0]

        def build(row: Sequence[Any] = row, pid: int = pid) -> dict[str, Any]:
            return project(dict(zip(PROJECT_NAMES, row, strict=True)), users.get(pid, ()),
                           embedded.get(pid, []) if shape.active_versions else None, shape,
                           maintainer_ids.get(pid, ()), alias_of)

        own_versions = embedded.get(pid, ())
        own_aliases = [alias_of.get(v["id"]) for v in own_versions]
        out.append(item_memo.item(("project", shape), (row, users.get(pid), maintainer_ids.get(pid),
                                                       own_versions, own_aliases), build))
    return out


Page = tuple[int, int, int, list[dict[str, Any]]]


def project_detail(state: validators.State) -> dict[str, Any]:
    (rows, maintainers, versions, candidates), shape = state.values
    return project_rows(rows, maintainers, versions, candidates, shape)[0]


def project_page(state: validators.State) -> Page:
    (count, limit, offset, found), shape = state.values
    if not found:
        return count, limit, offset, []
    rows, maintainers, versions, candidates = found
    return count, limit, offset, project_rows(rows, maintainers, versions, candidates, shape)


def _build_item(row: Sequence[Any], project_slug: str, config: bool) -> dict[str, Any]:
    return item_memo.item(("build", project_slug, config), row, lambda: build(
        dict(zip(build_names(config), row, strict=True)), project_slug, config))


def build_detail(state: validators.State, project_slug: str) -> dict[str, Any]:
    row, config = state.values
    return _build_item(row, project_slug, config)


def build_page(state: validators.State, project_slug: str) -> Page:
    (count, limit, offset, found), config = state.values
    return count, limit, offset, [_build_item(row, project_slug, config) for row in found]


def _versions(rows: Sequence[Sequence[Any]], projects: Sequence[Sequence[Any]],
              candidates: Sequence[Sequence[Any]], last_build: bool, build_config: bool
              ) -> list[dict[str, Any]]:
    by_id = {}
    for row in projects:
        p = dict(zip(VERSION_PROJECT_NAMES, row, strict=True))
        by_id[p["id"]] = (p, linked(p))
    names = version_names(last_build, build_config)
    versions = [dict(zip(names, row, strict=True)) for row in rows]
    alias_of = aliases(versions, candidates)
    out = []
    for v in versions:
        p, url_project = by_id[v["project_id"]]
        alias = alias_of.get(v["id"])

        def make(v: Row = v, p: Row = p, url_project: Any = url_project, alias: Row | None = alias
                 ) -> dict[str, Any]:
            return version(v, p, url_project, version_last_build(v, last_build, build_config), build_config,
                           alias)

        out.append(item_memo.item(("version", last_build, build_config), (v, p, alias), make))
    return out


def version_detail(state: validators.State) -> dict[str, Any]:
    row, projects, candidates, last_build, build_config = state.values
    return _versions([row], projects, candidates, last_build, build_config)[0]


def version_page(state: validators.State) -> Page:
    (count, limit, offset, found), last_build, build_config = state.values
    if not found:
        return count, limit, offset, []
    versions, projects, candidates = found
    return count, limit, offset, _versions(versions, projects, candidates, last_build, build_config)
