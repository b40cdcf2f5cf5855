"""Token scopes and what each one grants: pure rules, the same for every caller.

Which scope a given HTTP request needs is the request layer's business (:mod:`app.security.scopes`);
what a list of scopes grants is policy, so services (minting tokens, device login) and the request
layer read it from here.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.context import SAFE_METHODS as SAFE_METHODS  # re-exported: which scope a method needs

SCOPES = (
    "projects:read",
    "projects:write",
    "builds:read",
    "builds:trigger",
    "builds:upload",
    "redirects:write",
    "envvars:read",
    "envvars:write",
    "tokens",
    "admin",
)
#: A scope also grants these (``admin`` grants everything, see :func:`grants`).
IMPLIES: dict[str, tuple[str, ...]] = {
    "projects:write": ("projects:read",),
    "builds:trigger": ("builds:read",),
    #: Publishing docs built elsewhere (a CI job's token): upload, publish, follow the resulting build.
    "builds:upload": ("builds:read",),
    "envvars:write": ("envvars:read",),
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
