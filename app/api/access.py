"""Read the Docs' order of checks: authentication → permission on the project → object → method → body.

Views would otherwise see a 400 for a bad body, or Flask's router a 405, before anyone asked who
is calling. So the seam runs the access check itself, once, before the view parses anything:
``check_access`` from ``before_request`` for matched routes, and again from the 405 handler
(which matches the URL with an allowed method to learn the project slug).

Unsafe methods need a maintainer of the project in the URL (or any authenticated user on routes
without one). Routes that accept anonymous writes by design (webhooks, device login) register
their endpoint with :func:`allow_anonymous_writes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from app import auth

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ANONYMOUS_WRITE_ENDPOINTS: set[str] = set()


def allow_anonymous_writes(endpoint: str) -> None:
    """Exempt an endpoint (``"blueprint.ViewName"``) whose view authenticates callers itself."""
    _ANONYMOUS_WRITE_ENDPOINTS.add(endpoint)


def check_access(endpoint: str | None, view_args: Mapping[str, Any] | None) -> None:
    if endpoint is None or endpoint in _ANONYMOUS_WRITE_ENDPOINTS:
        return
    slug = (view_args or {}).get("project_slug")
    if request.method in SAFE_METHODS:
        if slug:
            auth.readable_project(slug)
        return
    if slug:
        auth.writable_project(slug)
    else:
        auth.require_user()


def check_before_405(valid_methods: list[str]) -> None:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, view_args = adapter.match(method=(valid_methods or ["GET"])[0])
    except HTTPException:
        return
    check_access(str(endpoint), view_args)
