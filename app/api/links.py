"""Absolute URLs for ``_links`` and ``urls``: the API's own (docs URLs, pagination) on top of
:mod:`app.urls`, which owns the public base and the builders re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import request

from app.urls import api_url, docs_site_url, public_base, site_url

if TYPE_CHECKING:
    from app.models import Project

__all__ = ["api_url", "docs_site_url", "docs_url", "page_url", "public_base", "site_url"]


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
