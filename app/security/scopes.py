"""Which scope a request needs (what each scope grants is :mod:`app.policy.scopes`).

The scope is declared on the API view for each of its methods (:class:`app.api.views.ApiView`); the
pipeline binds that declaration to the request (:mod:`app.security.route`) and the checks in
:mod:`app.auth` read it from there.
"""

from __future__ import annotations

from flask import request

from app.policy.scopes import IMPLIES, SAFE_METHODS, SCOPES, expand, grants
from app.security import route

# What a scope grants is policy (app.policy.scopes); re-exported for the request layer's callers.
__all__ = ["IMPLIES", "SAFE_METHODS", "SCOPES", "expand", "grants", "project_free", "required_scope"]


def required_scope() -> str | None:
    """The scope the current request needs, or None for views that check credentials themselves.

    Without a declaration (no API view answers this method) a token needs to read projects for a
    read and to write them for a write.
    """
    policy = route.policy()
    if policy is not None:
        return policy.scope
    return "projects:read" if request.method in SAFE_METHODS else "projects:write"


def project_free() -> bool:
    """The view lets a project-restricted token act without a project in its URL."""
    policy = route.policy()
    return policy is not None and policy.project_free
