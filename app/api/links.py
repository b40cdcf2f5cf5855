"""Absolute URLs for ``_links`` and ``urls``: from DOCSHELF_PUBLIC_URL, else from the request.

Links are joined as strings rather than through ``url_for``: slugs are URL-safe by construction
and a list of 100 projects carries ~1,500 links, so this stays off the hot path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g, request
from flask.globals import _cv_app, _cv_request

if TYPE_CHECKING:
    from app.models import Project


def public_base() -> str:
    """Scheme and host (plus any path prefix) of the site, without a trailing slash.

    Called ~15 times per serialised project: the per-request value is read off the app context's
    globals directly, not through three ``LocalProxy`` lookups (a tenth of a list-100's time).
    """
    in_request = _cv_request.get(None) is not None
    if in_request:
        cached = getattr(_cv_app.get().g, "public_base", None)
        if cached is not None:
            return str(cached)
    configured = current_app.config.get("PUBLIC_URL")
    base = (configured or (request.host_url if in_request else "http://localhost")).rstrip("/")
    if in_request:
        g.public_base = base
    return base


def api_url(*parts: object) -> str:
    """``api_url("projects", "pip", "versions")`` → ``https://host/api/v3/projects/pip/versions/``."""
    path = "/".join(str(p) for p in parts)
    return f"{public_base()}/api/v3/{path}/" if path else f"{public_base()}/api/v3/"


def site_url(*parts: object) -> str:
    path = "/".join(str(p) for p in parts)
    return f"{public_base()}/{path}/" if path else f"{public_base()}/"


def docs_site_url(*parts: object) -> str:
    """A URL on the docs origin (``DOCS_URL``; downloads, addons), which serves what projects wrote."""
    configured = current_app.config.get("DOCS_URL")
    base = str(configured).rstrip("/") if configured else public_base()
    path = "/".join(str(p) for p in parts)
    return f"{base}/{path}/" if path else f"{base}/"


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
