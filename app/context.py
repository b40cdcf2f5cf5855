"""The current request and its ``g`` as the objects themselves, not through Flask's proxies.

Every attribute read through ``flask.request`` or ``flask.g`` looks the proxied object up again, and
that lookup costs more than most of the reads it serves: the request path's steps, which each read a
few of them and several of which run more than once a request, take the objects once from here.
Outside a request (or app context) these raise Flask's usual ``RuntimeError``, as the proxies do.
"""

from __future__ import annotations

from typing import Any

from flask import Request, g, request

#: RFC 9110's safe methods: a request with one of them asks to change nothing.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_globals() -> Any:
    """This app context's ``g`` (Flask's ``_AppCtxGlobals``)."""
    return g._get_current_object()  # werkzeug's documented way to reach what a proxy stands for


def current_request() -> Request:
    return request._get_current_object()  # type: ignore[attr-defined]
