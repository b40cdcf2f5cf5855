"""Absolute URLs for ``_links`` and ``urls``: from DOCSHELF_PUBLIC_URL, else from the request.

Links are joined as strings rather than through ``url_for``: slugs are URL-safe by construction
and a list of 100 projects carries ~1,500 links, so this stays off the hot path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g, has_request_context, request

if TYPE_CHECKING:
    from app.models import Project


def public_base() -> str:
    """Scheme and host (plus any path prefix) of the site, without a trailing slash."""
    if has_request_context() and "public_base" in g:
        return str(g.public_base)
    configured = current_app.config.get("PUBLIC_URL")
    base = (configured or (request.host_url if has_request_context() else "http://localhost")).rstrip("/")
    if has_request_context():
        g.public_base = base
    return base


def api_url(*parts: object) -> str:
    """``api_url("projects", "pip", "versions")`` → ``https://host/api/v3/projects/pip/versions/``."""
    path = "/".join(str(p) for p in parts)
    return f"{public_base()}/api/v3/{path}/" if path else f"{public_base()}/api/v3/"


def site_url(*parts: object) -> str:
    path = "/".join(str(p) for p in parts)
    return f"{public_base()}/{path}/" if path else f"{public_base()}/"


def docs_url(project: Project, version_slug: str) -> str:
    """Where a version's built docs are served: asked of the docs server's own resolver, so the API
    advertises exactly the URL that serves (versioning scheme, subprojects, translations, docs domain)."""
    from app.serving.resolver import canonical_url

    return canonical_url(project, version_slug)


def page_url(**replace: object) -> str:
    """The current request's absolute URL with some query arguments replaced (pagination links)."""
    args = request.args.copy()
    for key, value in replace.items():
        args.setlist(key, [str(value)])
    from urllib.parse import urlencode

    query = urlencode(list(args.items(multi=True)))
    return f"{public_base()}{request.path}?{query}"
