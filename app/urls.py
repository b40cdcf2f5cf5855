"""Public URLs: the one place that says where Docshelf is reachable, and the builders on top of it.

The base is ``DOCSHELF_PUBLIC_URL`` when configured, else the current request's host, else (a job or
a command, outside any request) ``http://localhost``. Built docs live on the docs origin
(``DOCSHELF_DOCS_URL``), which falls back to the same base. Links are joined as strings rather than
through ``url_for``: slugs are URL-safe by construction, and a list response carries many links.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context, request

#: Where Docshelf says it is when nothing configured says otherwise and no request tells.
FALLBACK_BASE = "http://localhost"


def public_base() -> str:
    """Scheme and host (plus any path prefix) of the app origin, without a trailing slash.

    Inside a request the answer is kept on ``g``: a serialised list asks for it once per link.
    """
    if not has_request_context():
        return _configured("PUBLIC_URL") or FALLBACK_BASE
    cached = g.get("public_base")
    if cached is None:
        cached = _configured("PUBLIC_URL") or request.host_url.rstrip("/")
        g.public_base = cached
    return str(cached)


def docs_base() -> str:
    """Scheme and host of the docs origin (downloads, addons, built pages), without a trailing slash."""
    return _configured("DOCS_URL") or public_base()


def api_url(*parts: object) -> str:
    """``api_url("projects", "pip", "versions")`` → ``https://host/api/v3/projects/pip/versions/``."""
    return _join(f"{public_base()}/api/v3", parts)


def site_url(*parts: object) -> str:
    return _join(public_base(), parts)


def docs_site_url(*parts: object) -> str:
    """A URL on the docs origin, which serves what projects wrote (never the API or a session)."""
    return _join(docs_base(), parts)


def _configured(name: str) -> str | None:
    value = current_app.config.get(name)
    return str(value).rstrip("/") if value else None


def _join(base: str, parts: tuple[object, ...]) -> str:
    path = "/".join(str(p) for p in parts)
    return f"{base}/{path}/" if path else f"{base}/"
