"""The human half of a browsable API page: what a person reads before the raw JSON.

:func:`human_view` picks a view from the response: a list becomes a table (columns chosen per
resource, a state or boolean as a coloured badge, each row linked to its resource); a project gets
its versions (each active one with a build trigger), latest builds and links; a build gets its state, timing,
error and a log tail that ``static/browsable.js`` keeps following through ``log.txt?offset=N``; any
other object a table of its fields. Everything reads the JSON the resource answered, except the
project's versions and builds and the build's log, which come from the same services the API's own
views call, with the same principal (so nobody sees more than the JSON links would show them).
"""

from __future__ import annotations

from typing import Any

from flask import request

from app import auth
from app.extensions import db
from app.models import Build, Version
from app.models.build import STATE_NAMES
from app.services import build_logs, builds, versions
from app.urls import api_url

#: Columns per list endpoint: (header, key path into one item). Others get their first scalar keys.
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "projects.ProjectList": [("Name", "name"), ("Slug", "slug"), ("Language", "language.code"),
                             ("Default version", "default_version"), ("Privacy", "privacy_level.code"),
                             ("Modified", "modified")],
    "versions.VersionList": [("Version", "slug"), ("Name", "verbose_name"), ("Type", "type"),
                             ("Active", "active"), ("Built", "built"), ("Hidden", "hidden"),
                             ("Privacy", "privacy_level")],
    "redirects.RedirectList": [("Type", "type"), ("From", "from_url"), ("To", "to_url"),
                               ("Status", "http_status"), ("Enabled", "enabled"), ("Position", "position")],
    "environmentvariables.EnvironmentVariableList": [("Name", "name"), ("Public", "public"),
                                                     ("Created", "created")],
}
BUILD_COLUMNS = [("Build", "id"), ("Version", "version"), ("State", "state.code"), ("Result", "success"),
                 ("Created", "created"), ("Duration (s)", "duration"), ("Commit", "commit")]
for _endpoint in ("builds.BuildList", "builds.VersionBuildList"):
    COLUMNS[_endpoint] = BUILD_COLUMNS
_PROJECT_ENDPOINTS = {"projects.ProjectDetail"}
_COMMANDS_ENDPOINT = "builds.BuildCommandList"
_BUILD_ENDPOINTS = {"builds.BuildDetail", "builds.VersionBuildDetail"}
_LATEST_BUILDS = 5
_MAX_VERSIONS = 25
_GENERIC_COLUMNS = 6


def human_view(body: Any, status: int) -> dict[str, Any] | None:
    """The view to render above the JSON, or None (errors and empty answers show only the problem)."""
    if status >= 300 or not isinstance(body, dict):
        return None
    endpoint = request.endpoint or ""
    if {"count", "results"} <= body.keys() and isinstance(body["results"], list):
        if endpoint == _COMMANDS_ENDPOINT:
            return {"kind": "commands", "commands": [c for c in body["results"] if isinstance(c, dict)]}
        return _table(endpoint, body["results"])
    if endpoint in _PROJECT_ENDPOINTS:
        return _project(body)
    if endpoint in _BUILD_ENDPOINTS:
        return _build(body)
    return {"kind": "detail", "rows": _detail_rows(body)}


def cell(item: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


def _table(endpoint: str, results: list[Any]) -> dict[str, Any]:
    columns = COLUMNS.get(endpoint)
    if columns is None:
        first = results[0] if results and isinstance(results[0], dict) else {}
        keys = [k for k, v in first.items() if not isinstance(v, dict | list) and not k.startswith("_")]
        columns = [(key.replace("_", " ").capitalize(), key) for key in keys[:_GENERIC_COLUMNS]]
    rows = []
    for item in results:
        link = cell(item, "_links._self")
        rows.append({"cells": [(path, cell(item, path)) for _, path in columns],
                     "link": link if isinstance(link, str) else None})
    return {"kind": "table", "headers": [header for header, _ in columns], "rows": rows}


def _detail_rows(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """Scalars as they are, one level of nested objects flattened (``state.code``); lists counted."""
    rows: list[tuple[str, Any]] = []
    for key, value in body.items():
        if key == "_links":
            continue
        if isinstance(value, dict):
            rows.extend((f"{key}.{k}", v) for k, v in value.items() if not isinstance(v, dict | list))
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                rows.append((key, ", ".join(str(v) for v in value)))
        else:
            rows.append((key, value))
    return rows


def _project(body: dict[str, Any]) -> dict[str, Any]:
    slug = str(body.get("slug", ""))
    project = auth.readable_project(slug)
    principal = auth.current_principal()
    listed = versions.versions_query(project, principal, {})
    version_rows: list[Version] = _scalars(listed.limit(_MAX_VERSIONS))
    latest: list[Build] = _scalars(builds.builds_query(project, {}).limit(_LATEST_BUILDS))
    return {
        "kind": "project",
        "title": str(body.get("name") or slug),
        "rows": _detail_rows(body),
        "docs_url": cell(body, "urls.documentation"),
        "versions": version_rows,
        "builds": [_build_row(build) for build in latest],
        "links": {key: value for key, value in (body.get("_links") or {}).items() if isinstance(value, str)},
    }


def _build_row(build: Build) -> dict[str, Any]:
    return {
        "id": build.id,
        "version": build.version_slug,
        "state": build.state,
        "state_name": STATE_NAMES.get(build.state, build.state),
        "success": build.success,
        "created": build.created,
        "link": api_url("projects", build.project.slug, "builds", build.id),
    }


def _build(body: dict[str, Any]) -> dict[str, Any]:
    args = request.view_args or {}
    project_slug, build_id = str(args.get("project_slug", "")), int(args.get("build_id", 0))
    build = builds.get_build(auth.readable_project(project_slug), build_id)
    log_text, offset = build_logs.build_log(build)
    base = api_url("projects", project_slug, "builds", build_id)
    return {
        "kind": "build",
        "title": f"Build #{build.id} · {project_slug}",
        "build": body,
        "final": build.is_final,
        "log": log_text,
        "log_offset": offset,
        "log_url": f"{base}log.txt",
        "commands_url": f"{base}commands/",
        "cancel_url": None if build.is_final else f"{base}cancel/",
        "rows": [(key, value) for key, value in _detail_rows(body) if key not in ("error",)],
    }


def _scalars(stmt: Any) -> list[Any]:
    return list(db.session.scalars(stmt))
