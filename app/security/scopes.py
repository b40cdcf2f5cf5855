"""Which scope a request needs (what each scope grants is :mod:`app.policy.scopes`).

A view declares its policy with :func:`requires_scope` (``@requires_scope("tokens")`` on the method);
views that declare nothing fall back to a scope derived from their blueprint and method, so resource
modules written without tokens in mind still get scope checks through ``app.auth``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, request

from app.policy.scopes import IMPLIES, SAFE_METHODS, SCOPES, expand, grants

# What a scope grants is policy (app.policy.scopes); re-exported for the request layer's callers.
__all__ = ["IMPLIES", "SAFE_METHODS", "SCOPES", "Policy", "declared_policy", "expand", "grants",
           "is_build_trigger", "required_scope", "requires_scope"]

#: Blueprints whose routes check credentials themselves (your own tokens, device login).
_UNSCOPED = frozenset({"device", "root", "api-docs", "openapi_ui", "web"})
_READ = {"builds": "builds:read", "environmentvariables": "envvars:read"}
_WRITE = {
    "builds": "builds:trigger",
    "redirects": "redirects:write",
    "environmentvariables": "envvars:write",
}
_POLICY = "_docshelf_policy"
_View = TypeVar("_View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Policy:
    """What a view declares about the credentials it takes.

    ``project_free``: the route acts on no project in its URL, yet a token restricted to some
    projects may use it because its service applies the restriction itself (managing tokens:
    a restricted token only creates tokens restricted to its projects).
    """

    scope: str
    project_free: bool = False


def requires_scope(scope: str, *, project_free: bool = False) -> Callable[[_View], _View]:
    """Declare on a view method the scope a token needs for it (sessions and full tokens have them all)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorator(view: _View) -> _View:
        setattr(view, _POLICY, Policy(scope, project_free))
        return view

    return decorator


def declared_policy() -> Policy | None:
    """The policy the current request's view declared, if it declared one."""
    if request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = request.method.lower()
        view = getattr(view_class, "get" if method == "head" else method, None)
    policy = getattr(view, _POLICY, None)
    return policy if isinstance(policy, Policy) else None


def required_scope() -> str | None:
    """The scope the current request needs, or None for routes that do their own checks."""
    policy = declared_policy()
    if policy is not None:
        return policy.scope
    blueprint = request.blueprint
    if blueprint in _UNSCOPED:
        return None
    if request.method in SAFE_METHODS:
        return _READ.get(blueprint or "", "projects:read")
    return _WRITE.get(blueprint or "", "projects:write")


def is_build_trigger() -> bool:
    """``POST .../versions/<v>/builds/``: the route quotas and per-project rate limits apply to."""
    rule = request.url_rule
    return (
        request.method == "POST"
        and request.blueprint == "builds"
        and rule is not None
        and rule.rule.endswith("/versions/<version_slug>/builds/")
    )
