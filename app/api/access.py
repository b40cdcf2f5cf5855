"""Read the Docs' order of checks: authentication → permission on the project → object → method → body.

Views would otherwise see a 400 for a bad body, or Flask's router a 405, before anyone asked who is
calling. So the pipeline's authorize step (:func:`authorize`) runs the check the view declared
(:class:`app.api.views.ApiView`) before the view parses anything, and the 405 handler runs it too
(:func:`check_before_405`, matching the URL with an allowed method to learn the project slug).

A method open to anonymous callers is left to its view (public reads look the project up and
answer 404 for what the caller may not see; device login and webhooks authenticate callers their
own way). Any other read needs a person; any other write needs a maintainer of the project in the
URL (or a person, on routes without one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from app import auth
from app.api.views import check_body_format, view_class
from app.policy.scopes import SAFE_METHODS
from app.security import route
from app.security.route import ViewPolicy

__all__ = ["SAFE_METHODS", "authorize", "check_access", "check_before_405"]


def check_access(method: str, view_args: Mapping[str, Any] | None) -> None:
    """A request's access to the project in its URL: readable for a read, writable for a write."""
    slug = (view_args or {}).get("project_slug")
    if method in SAFE_METHODS:
        if slug:
            auth.readable_project(slug)
        return
    if slug:
        auth.writable_project(slug)
    else:
        auth.require_user()


def authorize(policy: ViewPolicy) -> None:
    """The pipeline's step for a matched API view: who may call it, then the body's format."""
    if not policy.anonymous:
        if request.method in SAFE_METHODS:
            auth.require_user()  # the project is the view's lookup: 401/403 here, 404 there
        else:
            check_access(request.method, request.view_args)
    check_body_format(policy)


def check_before_405(valid_methods: list[str]) -> None:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, view_args = adapter.match(method=(valid_methods or ["GET"])[0])
    except HTTPException:
        return
    cls = view_class(current_app.view_functions.get(str(endpoint)))
    if cls is None:
        return
    policy = cls.missing_method_policy(request.method)
    route.bind_policy(policy)  # the scope checks below judge this method, not the matched one
    if not policy.anonymous:
        check_access(request.method, view_args)
