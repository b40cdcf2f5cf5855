"""Serving built sites: path-based under ``DOCS_PREFIX`` and host-based under ``DOCS_DOMAIN``.

One decision path for both (:func:`serve`): parse the URL (:mod:`app.serving.resolver`), check who
may read it (:mod:`app.serving.access`), then forced user redirects, the file itself, the other user
redirects, and finally the project's 404 page. Files never leave the site's directory
(:mod:`app.serving.paths`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from flask import Blueprint, request
from werkzeug.wrappers import Response

from app.models import Project, Version
from app.services.domains import host_name
from app.serving import access, paths, redirects, responses, sitemap
from app.serving.resolver import (
    Site,
    default_version_slug,
    get_project,
    host_project_slug,
    servable_version,
    unresolve,
)
from app.urls import URL_SAFE, docs_prefix

log = logging.getLogger(__name__)

bp = Blueprint("docs", __name__)


@bp.get("/<project_slug>/", defaults={"path": ""})
@bp.get("/<project_slug>/<path:path>")
def page(project_slug: str, path: str) -> Response:
    """A page (or any file) of a project's built docs, path-based."""
    return serve(project_slug, path, f"{docs_prefix()}/{project_slug}")


def host_dispatch() -> Response | None:
    """``<project>.<DOCS_DOMAIN>/...`` and a project's custom domains: every path except ``/_/``
    belongs to the project's docs."""
    slug = host_project_slug(request.host)
    if slug is None or request.path.startswith("/_/"):
        return None
    if request.method not in ("GET", "HEAD"):
        return Response("Method not allowed.\n", 405, {"Allow": "GET, HEAD"}, mimetype="text/plain")
    if request.path == "/robots.txt":
        return sitemap.robots(slug, "")
    if request.path == "/sitemap.xml":
        return sitemap.sitemap(slug)
    return serve(slug, request.path.lstrip("/"), "")


@dataclass
class Decision:
    site: Site
    version: Version | None
    found: paths.Found | None
    match: redirects.Match | None


def _lookup(site: Site, version: Version | None, path: str) -> paths.Found | None:
    if version is None or site.project is None or site.filename is None:
        return None
    project_slug = site.project.slug
    if site.filename == "" and path and not path.endswith("/"):  # ``/en/latest`` → ``/en/latest/``
        return paths.Found(path, needs_slash=True) if paths.has_site(project_slug, version.slug) else None
    return paths.find_page(project_slug, version.slug, site.filename)


def _decide(top: Project, root: str, path: str) -> Decision:
    """What a request for ``path`` below ``top``'s root would get, access checks aside."""
    site = unresolve(top, path, root)
    version = None
    if site.project is not None and site.version_slug is not None:
        version = servable_version(site.project, site.version_slug)
    found = _lookup(site, version, path)
    rules = redirects.rules_for(site.project if site.project is not None else site.owner)
    match = redirects.find(rules, site, forced=True)
    if match is None and found is None and site.redirect is None:
        match = redirects.find(rules, site, forced=False)
    return Decision(site, version, found, match)


def _step(top: Project, root: str) -> Callable[[str], redirects.Match | None]:
    """For loop detection: the user redirect a request for another path of this project would get."""

    def step(location: str) -> redirects.Match | None:
        if not location.startswith(root + "/"):
            return None
        try:
            path = paths.clean(location[len(root) + 1 :])
        except paths.UnsafePath:
            return None
        return _decide(top, root, path).match

    return step


def serve(project_slug: str, raw_path: str, root: str) -> Response:
    """Answer a docs request for ``raw_path`` below the root ``root`` of project ``project_slug``."""
    top = get_project(project_slug)
    if top is None:
        return responses.not_found()
    try:
        path = paths.clean(raw_path)
    except paths.UnsafePath as exc:
        return responses.bad_request(str(exc))
    decision = _decide(top, root, path)
    site, version = decision.site, decision.version
    projects = [p for p in (top, site.owner, site.project) if p is not None]
    if not all(access.can_view(p) for p in projects):
        return access.deny(responses.not_found())
    if version is not None and not access.can_view(version.project, version):
        return access.deny(responses.not_found())
    private = any(access.is_private(p) for p in projects) or (
        version is not None and access.is_private(top, version)
    )
    canonical = _canonical_location(top, root)
    if canonical is not None:
        moved = responses.system_redirect(canonical, private=private)
        # Revalidated every time: it follows a setting maintainers change (a domain added, made canonical
        # or removed), and a kept redirect would send readers to a domain the project has given up.
        moved.headers["Cache-Control"] = "private, no-cache" if private else "public, no-cache"
        return moved
    match = decision.match  # forced ones come first; the others only when nothing is found
    if match is not None:
        if not redirects.is_loop(request.path, match, _step(top, root)):
            return redirects.response(match, private=private)
        log.warning("redirect loop on %s (redirect %s) not followed", request.path, match.rule.id)
    if site.redirect is not None:
        return responses.system_redirect(site.redirect, private=private)
    found = decision.found
    if found is not None and found.needs_slash:  # built from the cleaned path: never ``//host``
        return responses.system_redirect(f"{root}/{quote(path, safe=URL_SAFE)}/", private=private)
    if found is not None:
        return responses.send_found(found, private=private)
    return responses.not_found(_custom_404(site, version), private=private)


def _canonical_location(top: Project, root: str) -> str | None:
    """The same page on the project's canonical domain when the request came elsewhere (its default
    docs host or path, another of its domains), as Read the Docs does; checked after access, so a
    private project's domain is told only to its readers."""
    canonical = top.canonical_url
    if not canonical or host_name(request.host) == urlsplit(canonical).hostname:
        return None
    rest = request.path[len(root):] if request.path.startswith(root) else "/"
    return canonical + quote(rest or "/", safe=URL_SAFE)


def _custom_404(site: Site, version: Version | None) -> paths.Found | None:
    """The 404.html of the requested version, else of the project's default version (if readable)."""
    project = site.project or site.owner
    candidates = [version] if version is not None else []
    default = servable_version(project, default_version_slug(project))
    if default is not None and access.can_view(project, default):
        candidates.append(default)
    for candidate in candidates:
        found = paths.find_page(project.slug, candidate.slug, "404.html")
        if found is not None and not found.needs_slash:
            return found
    return None
