"""Token scopes and which one a request needs.

The scope is derived from the request's blueprint and method, in one table, so every resource
module (including ones written without tokens in mind) gets scope checks through ``app.auth``.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import request

SCOPES = (
    "projects:read",
    "projects:write",
    "builds:read",
    "builds:trigger",
    "redirects:write",
    "envvars:read",
    "envvars:write",
    "admin",
)
#: A scope also grants these (``admin`` grants everything, see :func:`grants`).
IMPLIES: dict[str, tuple[str, ...]] = {
    "projects:write": ("projects:read",),
    "builds:trigger": ("builds:read",),
    "envvars:write": ("envvars:read",),
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Blueprints whose routes check credentials themselves (your own tokens, device login).
_UNSCOPED = frozenset({"tokens", "device", "root", "api-docs", "openapi_ui", "web"})
_READ = {"builds": "builds:read", "environmentvariables": "envvars:read", "audit": "admin"}
_WRITE = {
    "builds": "builds:trigger",
    "redirects": "redirects:write",
    "environmentvariables": "envvars:write",
    "audit": "admin",
}


def expand(scopes: Iterable[str]) -> set[str]:
    """Every scope a list of scopes grants, implications included."""
    out = set(scopes)
    if "admin" in out:
        return set(SCOPES)
    for scope in list(out):
        out.update(IMPLIES.get(scope, ()))
    return out


def grants(token_scopes: list[str] | None, scope: str) -> bool:
    """None (a token made before scopes, or by ``docshelf tokens create``) keeps full access."""
    return token_scopes is None or scope in expand(token_scopes)


def required_scope() -> str | None:
    """The scope the current request needs, or None for routes that do their own checks."""
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
