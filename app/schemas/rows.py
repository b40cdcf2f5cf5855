"""The representations of :mod:`app.schemas`, built as plain dicts from the rows their validators read.

A read of a project, a version or a build reads its validator state first
(:mod:`app.services.validators`: exactly the columns its representation shows, as plain rows). Building
the body from those very rows, instead of loading ORM objects and dumping them field by field, makes the
body a function of the state: the state's ETag is the body's without a second read, a 304 and a 200
cost the same queries, and a 100-project page is a few thousand dict entries rather than marshmallow's
per-field machinery over ~300 objects (bench/, figure 1).

The marshmallow schemas stay what the representations are: the OpenAPI document, the browsable pages,
the answers of writes and of the addons. ``tests/api/test_rows.py`` checks, shape by shape (``fields``,
``omit``, every ``expand``, translations, subprojects, private versions, running and finished builds),
that each function here answers exactly their dump; a field added to a schema and not here fails it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.languages import LANGUAGES, PROGRAMMING_LANGUAGES
from app.models.build import STATE_NAMES
from app.models.project import SINGLE_VERSION
from app.models.version import DOWNLOAD_FORMATS
from app.safety.url_credentials import masked, without_userinfo
from app.services import validators
from app.services.validators import ProjectShape
from app.urls import UrlProject, api_url, docs_site_url, docs_url, site_url

Row = Mapping[str, Any]
PROJECT_NAMES = tuple(c.key for c in validators.PROJECT_COLUMNS) + validators.LINKED_NAMES
VERSION_PROJECT_NAMES = tuple(c.key for c in validators.VERSION_PROJECT_COLUMNS) + validators.LINKED_NAMES
#: The project links below its own URL (app.schemas.projects.PROJECT_LINKS), as (name, path) pairs.
_PROJECT_LINKS: tuple[tuple[str, str], ...] = ()


def _project_links() -> tuple[tuple[str, str], ...]:
    global _PROJECT_LINKS  # noqa: PLW0603 - computed once, after app.schemas.projects is importable
    if not _PROJECT_LINKS:
        from app.schemas.projects import PROJECT_LINKS

        _PROJECT_LINKS = tuple((path.replace("-", "_"), f"{path}/") for path in PROJECT_LINKS)
    return _PROJECT_LINKS


def _projects_urls() -> tuple[str, str]:
    """(API, site) URLs of the projects collection: every link below is one of these plus a slug and
    a path, joined as strings (one join per item rather than one per link)."""
    return api_url("projects"), site_url("projects")


def iso(value: datetime | None) -> str | None:
    """As :class:`app.schemas.fields.UTCDateTimeField` writes it."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return datetime.isoformat(value.astimezone(UTC)).replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class _Relation:
    alias: str
    parent: _Linked


@dataclass(frozen=True, slots=True)
class _Linked:
    """A project as :mod:`app.urls` sees it (:class:`app.urls.UrlProject`), made of row values."""

    slug: str
    language: str
    versioning_scheme: str
    main_language_project: _Linked | None = None
    superproject_relation: _Relation | None = None
    canonical_url: str | None = None  # the project's canonical custom domain's root URL

    @property
    def single_version(self) -> bool:
        return self.versioning_scheme == SINGLE_VERSION


def _relation(alias: str | None, parent_slug: str | None, parent_canonical: str | None) -> _Relation | None:
    if alias is None or parent_slug is None:
        return None
    # A parent's URL reads only its slug and its canonical domain.
    return _Relation(alias, _Linked(parent_slug, "", "", canonical_url=parent_canonical))


def linked(p: Row) -> UrlProject:
    """The project of a row with its docs URL's related rows (validators' ``_LINKED``)."""
    main = None
    if p["main_slug"] is not None:
        # The owner of a translation's URL space: its language is not part of the URL (the
        # translation's own is), so the rows do not carry it.
        main = _Linked(p["main_slug"], "", p["main_versioning_scheme"], None,
                       _relation(p["main_alias"], p["main_parent_slug"], p["main_parent_canonical_url"]),
                       p["main_canonical_url"])
    return _Linked(p["slug"], p["language"], p["versioning_scheme"], main,
                   _relation(p["own_alias"], p["parent_slug"], p["parent_canonical_url"]),
                   p["own_canonical_url"])


def _ref(slug: str | None, api_projects: str) -> dict[str, Any] | None:
    return None if slug is None else {"slug": slug, "_links": {"_self": f"{api_projects}{slug}/"}}


def build(b: Row, project_slug: str, config: bool) -> dict[str, Any]:
    """:class:`app.api.builds.schemas.BuildSchema`'s dump; ``config`` when it is expanded."""
    build_id, version = b["id"], b["version_slug"]
    finished = b["finished"]
    duration = None
    if finished is not None:
        duration = int(round((finished - (b["started"] or b["created"])).total_seconds()))
    api_projects, site_projects = _projects_urls()
    project_api = f"{api_projects}{project_slug}/"
    own = f"{project_api}builds/{build_id}/"
    project_page = f"{site_projects}{project_slug}/"
    body = {
        "id": build_id,
        "version": version,
        "project": project_slug,
        "created": iso(b["created"]),
        "finished": iso(finished),
        "duration": duration,
        "state": {"code": b["state"], "name": STATE_NAMES[b["state"]]},
        "success": b["success"],
        "error": b["error"],
        "warnings": list(b["warnings"] or []),
        "commit": b["commit"],
        "external_url": b["external_url"],
        "kind": b["kind"],
        "urls": {
            "build": f"{project_page}builds/{build_id}/",
            "project": project_page,
            "version": f"{project_page}versions/{version}/",
        },
        "_links": {
            "_self": own,
            "project": project_api,
            "version": f"{project_api}versions/{version}/",
            "notifications": f"{own}notifications/",
        },
    }
    if config:
        body["config"] = b["config"] or {}
    return body


def version(v: Row, project: Row, url_project: UrlProject, last_build: Row | None | bool = False,
            build_config: bool = False, alias: Row | None = None) -> dict[str, Any]:
    """:class:`app.api.versions.schemas.VersionSchema`'s dump; ``last_build`` False unless expanded
    (then the build's row, or None when the version has none); ``alias`` the version a ``latest`` or
    ``stable`` stands for (:func:`aliases`)."""
    slug, project_slug = v["slug"], project["slug"]
    formats = v["built_formats"] or []
    vcs_ref = v["ref"] or v["identifier"] or v["verbose_name"]
    project_api = f"{_projects_urls()[0]}{project_slug}/"
    own = f"{project_api}versions/{slug}/"
    body = {
        "id": v["id"],
        "slug": slug,
        "verbose_name": v["verbose_name"],
        "identifier": v["identifier"],
        "ref": v["ref"],
        "built": v["built"],
        "active": v["active"],
        "hidden": v["hidden"],
        "type": v["type"],
        "privacy_level": v["privacy_level"],
        "aliases": [] if alias is None else [version(alias, project, url_project)],
        "source_type": "external" if v["type"] == "external" else "vcs",
        "downloads": {
            fmt: docs_site_url("_", "downloads", project_slug, project["language"], slug, fmt)
            for fmt in DOWNLOAD_FORMATS if fmt in formats
        },
        "urls": {
            "documentation": docs_url(url_project, slug),
            "vcs": f"{without_userinfo(project['repository_url']).removesuffix('.git')}/tree/{vcs_ref}",
            "dashboard": {"edit": site_url("dashboard", project_slug, "version", slug, "edit")},
        },
        "_links": {"_self": own, "builds": f"{own}builds/", "project": project_api},
    }
    if last_build is not False:
        body["last_build"] = None if last_build is None or last_build is True else build(
            last_build, project_slug, build_config)
    return body


def project(p: Row, users: Sequence[str], active_versions: Sequence[Row] | None, shape: ProjectShape,
            maintainer_ids: Iterable[int] = (), alias_of: Mapping[int, Row] | None = None) -> dict[str, Any]:
    """:class:`app.api.projects.schemas.ProjectSchema`'s dump for the request's expand ``shape``;
    ``active_versions`` are the version rows (with their last builds' columns when those are expanded)."""
    slug, homepage = p["slug"], p["homepage"]
    api_projects, site_projects = _projects_urls()
    own = f"{api_projects}{slug}/"
    page = f"{site_projects}{slug}/"
    url_project = linked(p)
    links = {"_self": own, **{name: own + path for name, path in _project_links()}}
    language, programming = p["language"], p["programming_language"]
    kind = p["repository_credentials_kind"]
    body: dict[str, Any] = {
        "id": p["id"],
        "name": p["name"],
        "slug": slug,
        "created": iso(p["created"]),
        "modified": iso(p["modified"]),
        "language": {"code": language, "name": LANGUAGES.get(language, language)},
        "programming_language": {
            "code": programming, "name": PROGRAMMING_LANGUAGES.get(programming, programming)},
        "homepage": homepage or None,
        "repository": {"url": masked(p["repository_url"]), "type": p["repository_type"],
                       "credentials": {"kind": kind, "set": kind is not None}},
        "default_version": p["default_version"],
        "default_branch": p["default_branch"],
        "subproject_of": _ref(p["parent_slug"], api_projects),
        "translation_of": _ref(p["main_slug"], api_projects),
        "urls": {
            "documentation": docs_url(url_project, p["default_version"]),
            "home": homepage or page,
            "builds": f"{page}builds/",
            "versions": f"{page}versions/",
            "downloads": f"{page}downloads/",
        },
        "tags": list(p["tags"] or []),
        "privacy_level": p["privacy_level"],
        "external_builds_privacy_level": p["external_builds_privacy_level"],
        "readthedocs_yaml_path": p["readthedocs_yaml_path"],
        "versioning_scheme": p["versioning_scheme"],
        "single_version": p["versioning_scheme"] == SINGLE_VERSION,
        "analytics_code": p["analytics_code"],
        "analytics_disabled": p["analytics_disabled"],
        "external_builds_enabled": p["external_builds_enabled"],
        "users": [{"username": name} for name in users],
        "_links": links,
    }
    if active_versions is not None:
        body["active_versions"] = [
            version(v, p, url_project, version_last_build(v, shape.last_build, shape.build_config),
                    shape.build_config, (alias_of or {}).get(v["id"]))
            for v in active_versions
        ]
    if shape.viewer is not None:
        viewer_id, is_admin = shape.viewer
        admin = viewer_id is not None and (is_admin or viewer_id in set(maintainer_ids))
        body["permissions"] = {"admin": admin}
    return body


def build_names(config: bool) -> tuple[str, ...]:
    names: tuple[str, ...] = validators.BUILD_COLUMNS
    return names + (("config",) if config else ())


def version_names(last_build: bool, build_config: bool) -> tuple[str, ...]:
    """A version row's names; a joined last build's columns follow as ``build_<name>``."""
    names: tuple[str, ...] = validators.VERSION_COLUMNS
    if last_build:
        names += tuple(f"build_{name}" for name in build_names(build_config))
    return names


def version_last_build(v: Row, last_build: bool, build_config: bool) -> Row | None | bool:
    """The last build's row inside a version row (``build_`` prefixed), None without one."""
    if not last_build:
        return False
    if v.get("build_id") is None:
        return None
    return {name: v[f"build_{name}"] for name in build_names(build_config)}
