"""The browsable API: a browser opening an API URL gets an HTML page of the same response.

Written once, as the pipeline's last ``after_request`` hook (:mod:`app.pipeline`): resources keep
returning JSON and never know. The page
shows the JSON with every URL as a link (so a person walks the API from ``/api/v3/`` by its
``_links``), the status, the methods the URL allows, breadcrumbs, pagination, who is signed in,
and a form whose little script (``static/browsable.js``) sends writes with the session cookie and
the ``X-CSRF-Token`` header that :mod:`app.auth` requires of session writes.

Only a client that *prefers* ``text/html`` gets HTML: ``*/*`` (curl, requests, Read the Docs
clients), ``application/json`` and a missing ``Accept`` keep the JSON byte for byte, and
``?format=json`` forces JSON in a browser. Every API response says ``Vary: Accept``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, g, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.http import HTTP_STATUS_CODES

from app.api.browsable_forms import forms_for
from app.api.browsable_views import human_view
from app.context import current_request, request_globals
from app.security import route, sessions

log = logging.getLogger(__name__)

_JSON_TYPES = {"application/json", "application/problem+json"}
_WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: Only absolute http(s) URLs become links: never ``javascript:`` or a path meant for another site.
_URL = re.compile(r"^https?://[^\s\"'<>\\]+$")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def wants_html() -> bool:
    """``?format=json`` forces JSON; otherwise only a client preferring text/html over JSON gets HTML."""
    state = request_globals()
    decided = state.get("wants_html")
    if decided is None:  # asked twice per request (the read cache, this hook): the answer is kept
        req = current_request()
        accept = req.headers.get("Accept", "")
        if "text/" not in accept or req.args.get("format") == "json":
            decided = False  # only text/html or text/* can outrank JSON (most API clients send neither)
        else:
            decided = req.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
        state.wants_html = decided
    return bool(decided)


def after_request(response: Response) -> Response:
    origin = route.origin()
    if origin == route.WEB and response.status_code >= 400 and response.mimetype in _JSON_TYPES:
        return _web_error(response)
    if origin != route.API:
        return response
    policy = route.policy()
    if policy is not None and not policy.browsable:  # e.g. the OpenAPI document
        return response
    if "Vary" in response.headers:
        response.vary.add("Accept")
    else:  # the usual case; parsing an absent header into a set to add one name cost more than the rest
        response.headers["Vary"] = "Accept"
    if (
        current_request().method not in ("GET", "HEAD")
        or response.mimetype not in _JSON_TYPES
        or response.is_streamed
        or response.direct_passthrough
        or not wants_html()
    ):
        return response
    try:
        return _to_html(response)
    except Exception:  # the page is a convenience: never turn a good answer into a 500
        log.exception("browsable API page failed; answering JSON")
        return response


def _web_error(response: Response) -> Response:
    """A browser's 404 (or other error) on an app page gets the same look as the API's pages."""
    response.vary.add("Accept")
    if request.method not in ("GET", "HEAD") or not wants_html():
        return response
    try:
        return _to_html(response)
    except Exception:
        log.exception("error page failed; answering JSON")
        return response


def _to_html(response: Response) -> Response:
    body = response.get_json(silent=True)
    status = response.status_code
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = sorted(adapter.allowed_methods(request.path))
    crumbs = breadcrumbs(request.path, lambda path: adapter.test(path, "GET")) if route.is_api() else []
    # The app's pages (a 404 on one) are not authenticated by the API's step: ask the session.
    principal = g.get("current_principal")
    user = (principal.user if principal is not None else None) if route.is_api() else sessions.session_user()
    view = human_view(body, status) if route.is_api() else None
    title = _title(crumbs, status)
    context = {
        "status": status,
        "status_text": HTTP_STATUS_CODES.get(status, ""),
        "allowed": allowed,
        "crumbs": crumbs,
        "title": view.get("title", title) if view else title,
        "body_html": render_json(body),
        "page": _page_info(body),
        "problem": body if status >= 400 and isinstance(body, dict) and "detail" in body else None,
        "user": user,
        "session_user": user is not None and (g.get("auth_via") == "session" or not route.is_api()),
        "csrf_token": sessions.csrf_token() if g.get("auth_via") == "session" else None,
        "login_url": url_for("web.login", next=_here()),
        "logout_url": url_for("web.logout"),
        "json_url": _here(format="json"),
        "action": _here_path(),
        "root_url": request.script_root + "/api/v3/",
        "write_methods": [m for m in _WRITE_METHODS if m in allowed],
        "view": view,
        "forms": forms_for(_here_path(), allowed, body) if status < 300 and route.is_api() else [],
    }
    response.set_data(render_template("browsable/page.html", **context))
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"  # it names the user and carries the CSRF token
    response.headers.pop("ETag", None)  # the JSON's validator; this is another representation
    return response


def _title(crumbs: list[tuple[str, str | None]], status: int) -> str:
    """The page's heading: its last path segment, a numeric one named by its collection (``redirects #3``)."""
    if not crumbs:
        return "Page not found" if status == 404 else request.path
    label = crumbs[-1][0]
    return f"{crumbs[-2][0]} #{label}" if label.isdigit() and len(crumbs) > 1 else label


def _here_path() -> str:
    return request.script_root + request.path


def _here(**replace: str) -> str:
    """This page's path and query (same site, so safe as a login ``next``), some arguments replaced."""
    args = request.args.copy()
    for key, value in replace.items():
        args.setlist(key, [value])
    query = urlencode(list(args.items(multi=True)))
    return request.script_root + request.path + (f"?{query}" if query else "")


def _page_info(body: Any) -> dict[str, Any] | None:
    if isinstance(body, dict) and {"count", "next", "previous", "results"} <= body.keys():
        return {key: body[key] for key in ("count", "next", "previous")}
    return None


def breadcrumbs(path: str, routable: Callable[[str], bool]) -> list[tuple[str, str | None]]:
    """``/api/v3/projects/pip/`` → ``[("/api/v3/", href), ("projects", href), ("pip", None)]``.

    A crumb is a link only when a GET route exists for it (not every path prefix is a resource, e.g.
    ``/api/v3/projects/pip/versions/latest/builds/``'s parent exists, ``/api/v3/tokens/1/``'s may
    not); the last one is the page itself.
    """
    root = "/api/v3/" if path.startswith("/api/v3/") else "/api/"
    crumbs: list[tuple[str, str | None]] = [(root, request.script_root + root)]
    current = root
    for segment in path[len(root) :].strip("/").split("/"):
        if not segment:
            continue
        current += segment + "/"
        href = request.script_root + current if routable(current) else None
        crumbs.append((segment, href))
    crumbs[-1] = (crumbs[-1][0], None)  # the page itself
    return crumbs


def render_json(value: Any) -> Markup:
    """Pretty-printed JSON (2-space indent, keys in the response's order) with URLs as anchors."""
    return Markup("".join(_json_parts(value, 0)))


def _json_parts(value: Any, depth: int) -> Iterator[str]:
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict | list) and value:
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        yield opening + "\n"
        for index, (key, item) in enumerate(items):
            yield inner
            if isinstance(value, dict):
                yield f'<span class="key">{escape(_dumps(key))}</span>: '
            yield from _json_parts(item, depth + 1)
            yield ",\n" if index < len(items) - 1 else "\n"
        yield pad + closing
    elif isinstance(value, str):
        text = escape(_dumps(value))
        if _URL.match(value):
            yield f'<a href="{escape(value)}">{text}</a>'
        else:
            yield f'<span class="str">{text}</span>'
    else:
        yield f'<span class="lit">{escape(_dumps(value))}</span>'


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
