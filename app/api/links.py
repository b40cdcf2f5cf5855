"""Absolute URLs for ``_links`` and ``urls``: the API's own (pagination) on top of :mod:`app.urls`,
which owns the public base, the docs URLs and the builders re-exported here.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request

from app.urls import api_url, docs_site_url, docs_url, public_base, site_url

__all__ = ["api_url", "docs_site_url", "docs_url", "page_url", "public_base", "site_url"]


def page_url(**replace: object) -> str:
    """The current request's absolute URL with some query arguments replaced (pagination links)."""
    args = request.args.copy()
    for key, value in replace.items():
        args.setlist(key, [str(value)])
    query = urlencode(list(args.items(multi=True)))
    return f"{public_base()}{request.path}?{query}"
