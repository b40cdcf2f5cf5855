"""``GET /_/addons/``: the data the client script (``/_/static/docshelf-addons.js``) and themes read.

Called with ``url=`` (the page's address: project, version and file are parsed from it, and every
link in the answer stays in the URL space the reader is in: path-based, host-based or under a
parent project) or with ``project-slug=`` and ``version-slug=`` (canonical links). The shape follows
Read the Docs' addons API v1: ``projects{current, translations}``, ``versions{current, active}``,
``builds{current}``, ``domains``, ``readthedocs{resolver{filename}, analytics}`` and per-addon ``addons``
config (the ones besides flyout, warning and search: :mod:`app.serving.addons_features`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, jsonify, request
from packaging.version import InvalidVersion
from packaging.version import Version as PackagingVersion
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Project, ProjectRelationship, Version
from app.models.version import find_version
from app.problems import problem
from app.schemas import BuildRepresentation, ProjectRepresentation, VersionRepresentation
from app.services import search
from app.services.builds import last_successful_build
from app.serving import access, listing, paths, responses
from app.serving.addons_features import features
from app.serving.doc_diff import doc_diff
from app.serving.filetreediff import filetreediff
from app.serving.previews import external_warning
from app.serving.resolver import (
    default_version_slug,
    get_project,
    host_project_slug,
    preview_site,
    servable_version,
    unresolve,
)
from app.urls import docs_base, docs_prefix, docs_url, public_base, version_path

bp = Blueprint("addons", __name__)

SCRIPT = "docshelf-addons.js"
SUPPORTED_API_VERSIONS = (1,)
#: Links whose previews the script shows: those in the page's main content (Sphinx, MkDocs themes).
LINK_PREVIEW_SELECTOR = "[role=main] a[href], main a[href], article a[href]"
#: The API's representations without its query conventions: ``?fields=``/``?expand=`` on this URL
#: are not the API's to apply (a pruned project would lose the ``urls`` this module fills in).
_PROJECT, _VERSION, _BUILD = ProjectRepresentation(), VersionRepresentation(), BuildRepresentation()


@dataclass
class Where:
    """The page the request is about, and how to build links that stay where the reader is."""

    project: Project
    version: Version | None
    filename: str | None
    owner: Project | None = None  # set when links are built from the page's own URL space
    base: str = ""  # scheme://host + root of the owner's URL space
    origin: str = ""  # scheme://host of that URL space (downloads are served on it too)
    preview: str | None = None  # the preview host's root, when the page is a pull request's preview

    def url(self, project: Project, version_slug: str) -> str:
        if self.preview is not None and self.version is not None and project.id == self.project.id \
                and version_slug == self.version.slug:
            return self.preview
        if self.owner is None:
            return docs_url(project, version_slug)
        return self.base + version_path(self.owner, project, version_slug)


@bp.get("/_/static/docshelf-addons.js")
def script() -> Response:
    """The client script the Sphinx extension and the MkDocs plugin add to every page."""
    assert current_app.static_folder is not None
    return responses.send(os.path.join(current_app.static_folder, SCRIPT), private=False)


@bp.get("/_/addons/")
def addons() -> Response:
    """Flyout and version-warning data for one page of built docs."""
    api_version = request.args.get("api-version")
    if api_version:
        try:
            major = PackagingVersion(api_version).major
        except InvalidVersion:
            major = -1
        if major not in SUPPORTED_API_VERSIONS:
            return problem(
                400, f"api-version {api_version!r} is not supported; use 1.", code="validation_error"
            )
    url = request.args.get("url")
    project_slug, version_slug = request.args.get("project-slug"), request.args.get("version-slug")
    if not url and not (project_slug and version_slug):
        message = "'project-slug' and 'version-slug' are required when not sending 'url'."
        return problem(400, message, errors={"project-slug": [message]})
    where = (_from_url(url) if url else None) or _from_slugs(project_slug, version_slug)
    if where is None:
        return problem(404, "There is no project with the 'project-slug' requested.")
    if not access.can_view(where.project) or (
        where.version is not None and not access.can_view(where.project, where.version)
    ):
        if access.viewer() is None:
            return problem(401, "Authentication credentials were not provided.")
        return problem(404, "There is no project with the 'project-slug' requested.")
    response = jsonify(_payload(where))
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.update(("Cookie", "Authorization"))
    response.add_etag()
    return response.make_conditional(request)


def _from_url(url: str) -> Where | None:
    parts = urlsplit(url)
    path = unquote(parts.path)
    scheme = parts.scheme if parts.scheme in ("http", "https") else request.scheme
    preview = preview_site(parts.netloc)
    if preview is not None:
        return _from_preview(preview, path, f"{scheme}://{parts.netloc}/")
    slug = host_project_slug(parts.netloc)
    # Links keep the reader's host: a docs host of ours, else the host this request came to.
    origin = f"{scheme}://{parts.netloc if slug is not None else request.host}"
    if slug is not None:
        root, rest = "", path.lstrip("/")
    else:
        prefix = docs_prefix()
        if not path.startswith(prefix + "/"):
            return None
        slug, _, rest = path[len(prefix) + 1 :].partition("/")
        root = f"{prefix}/{slug}"
    top = get_project(slug) if slug else None
    if top is None:
        return None
    try:
        rest = paths.clean(rest)
    except paths.UnsafePath:
        return None
    site = unresolve(top, rest, root)
    project = site.project or site.owner
    version = find_version(project, site.version_slug) if site.version_slug else None
    filename = "/" + site.filename if site.filename is not None and version is not None else None
    return Where(project, version, filename, owner=site.owner, base=origin + site.root, origin=origin)


def _from_preview(site: tuple[str, str], path: str, root: str) -> Where | None:
    """A page of a pull request's preview (``<project>--<n>.<EXTERNAL_DOCS_DOMAIN>/<file>``)."""
    project = get_project(site[0])
    version = find_version(project, site[1]) if project is not None else None
    if project is None or version is None or version.type != "external":
        return None
    try:
        filename = "/" + paths.clean(path.lstrip("/"))
    except paths.UnsafePath:
        return None
    return Where(project, version, filename, preview=root)


def _from_slugs(project_slug: str | None, version_slug: str | None) -> Where | None:
    project = get_project(project_slug) if project_slug else None
    if project is None:
        return None
    return Where(project, find_version(project, version_slug) if version_slug else None, None)


def _dump_project(project: Project, url: str) -> dict[str, Any]:
    data: dict[str, Any] = _PROJECT.dump(project)
    data.pop("_links", None)
    data["urls"]["documentation"] = url
    return data


def _dump_version(version: Version, url: str, origin: str = "") -> dict[str, Any]:
    data: dict[str, Any] = _VERSION.dump(version)
    data.pop("_links", None)
    data["urls"]["documentation"] = url
    if origin:
        # Downloads stay on the host the reader is on (a project's domain or host answers its own
        # /_/downloads/), where their docs credential is, rather than on the docs origin.
        docs = docs_base()
        data["downloads"] = {fmt: origin + link[len(docs):] if link.startswith(docs + "/") else link
                             for fmt, link in data["downloads"].items()}
    return data


def _current_build(version: Version | None) -> dict[str, Any] | None:
    if version is None:
        return None
    build = last_successful_build(version.id)
    if build is None:
        return None
    data: dict[str, Any] = _BUILD.dump(build)
    data.pop("_links", None)
    return data


def _matching(project: Project, version: Version | None) -> str:
    """The same version in a translation when it has it, else the translation's default version."""
    if version is not None and servable_version(project, version.slug) is not None:
        return version.slug
    return default_version_slug(project)


def _search(project: Project, version: Version | None, scope: str) -> dict[str, Any]:
    """Server-side search: enabled when the version has been indexed (its build published it)."""
    filters = [["Search only in this project", scope]]
    if db.session.scalar(
        select(ProjectRelationship.id).where(ProjectRelationship.parent_id == project.id).limit(1)
    ):
        target = f"{project.slug}/{version.slug}" if version is not None else project.slug
        filters.append(["Include subprojects", f"subprojects:{target}"])
    return {
        "enabled": version is not None and search.is_indexed(version.id),
        "api_endpoint": "/_/api/v3/search/",
        "project": project.slug,
        "version": version.slug if version is not None else None,
        "default_filter": scope,
        "filters": filters,
    }


def _payload(where: Where) -> dict[str, Any]:
    project, version, filename = where.project, where.version, where.filename
    active = listing.visible_versions(project)
    page = (filename or "/").lstrip("/")
    latest = next((v for v in active if v.slug == "latest"), None)
    warning = {
        "enabled": True,
        "show": version is not None and latest is not None and version.slug != latest.slug
        and version.type != "external",
        "latest": {"slug": latest.slug, "url": where.url(project, latest.slug) + page} if latest else None,
    }
    translations = [
        _dump_project(t, where.url(t, _matching(t, version))) for t in listing.translations(project)
    ]
    build = _current_build(version)
    preview = version is not None and version.type == "external"
    extra = features(project, where.url(project, default_version_slug(project)) + page)
    if preview:
        assert version is not None
        extra["doc_diff"] = doc_diff(project, version, filename)
    scope = f"project:{project.slug}/{version.slug}" if version is not None else f"project:{project.slug}"
    return {
        "api_version": "1",
        "projects": {
            "current": _dump_project(project, where.url(project, default_version_slug(project))),
            "translations": translations,
        },
        "versions": {
            "current": _dump_version(version, where.url(project, version.slug), where.origin)
            if version else None,
            "active": [_dump_version(v, where.url(project, v.slug), where.origin) for v in active],
        },
        "builds": {"current": build},
        "domains": {
            "dashboard": urlsplit(public_base()).netloc,
            "docs": current_app.config.get("DOCS_DOMAIN"),
        },
        # Read the Docs' own (global) analytics code: Docshelf sends the pages' visits nowhere.
        "readthedocs": {"resolver": {"filename": filename}, "analytics": {"code": None}},
        "addons": {
            "flyout": {"enabled": True, "position": "bottom-right"},
            "non-latest-version-warning": warning,
            "version-warning": warning,
            "external-version-warning": external_warning(version, (build or {}).get("commit")),
            **extra,
            "filetreediff": filetreediff(project, version),  # a preview's, from the builds' manifests
            "search": _search(project, version, scope),
            "hotkeys": {
                "enabled": True,
                "doc_diff": {"enabled": extra["doc_diff"]["enabled"], "trigger": "KeyD"},
                "search": {"enabled": True, "trigger": "Slash"},
            },
            "linkpreviews": {"enabled": version is not None, "selector": LINK_PREVIEW_SELECTOR},
        },
    }
