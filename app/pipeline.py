"""The one request pipeline: what runs before a view, in which order, for each origin.

:func:`begin` assigns the request id, then splits the origins
(:func:`app.serving.origin.split_origins`) ahead of everything else, so nothing of the app runs for a
request it refuses or redirects. It decides once which origin the request belongs to, binds the API
view's declared policy (:class:`app.api.views.ApiView`) to it, and runs that origin's chain:

* the API (``/api/``): request id → input guard → authenticate → authorize → rate limit →
  idempotency → an answer from the read cache;
* browser pages: request id → rate limit (failed logins count);
* built docs: request id → ``<project>.<DOCS_DOMAIN>`` hosts answered from that project's docs.

:func:`install` registers every request hook of the app; nothing else registers one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Flask, current_app, request
from flask import Response as Answer
from werkzeug.wrappers import Response

from app import auth
from app.api import access, browsable, response_cache
from app.api.views import policy_of
from app.context import current_request, request_globals
from app.extensions import READS_KEY, end_reads
from app.security import idempotency, inputs, ratelimit, route
from app.security.logging import assign_request_id
from app.security.principal import refuse_query_credentials
from app.serving.docs import host_dispatch
from app.serving.origin import is_docs_host, split_origins
from app.serving.previews import preview_dispatch

#: Every path of the API (v3, and the webhook receivers at Read the Docs' v2 URLs).
API_PREFIX = "/api/"

#: Per-request values kept on ``g``. An app context can outlive one request (tests, the CLI), so
#: each request starts by dropping them instead of trusting a fresh ``g``.
REQUEST_KEYS = frozenset((
    "auth_via",
    "csrf_error",
    "current_principal",
    "docs_viewer",
    "flex_spec",
    "idempotency",
    READS_KEY,
    "request_id",
    "url_bases",
    "wants_html",
    "writable_project",
    *ratelimit.REQUEST_KEYS,
    *response_cache.REQUEST_KEYS,
    *route.REQUEST_KEYS,
))

Step = Callable[[], Response | None]


def _origin(docs_host: bool, path: str) -> str:
    """The one place a request's origin is decided (the docs origin's host, else the path)."""
    if docs_host:
        return route.DOCS
    return route.API if path.startswith(API_PREFIX) else route.WEB


# --- the API's steps ------------------------------------------------------------------------------


def guard_input() -> None:
    policy = route.policy()
    if policy is not None and policy.body_limit is not None:  # before anything reads the body
        request.max_content_length = int(current_app.config[policy.body_limit])
    inputs.check_request()


def authenticate() -> None:
    """Build the principal once (a bad credential is a 401 on every route, whatever the view needs).

    A GET the read cache can answer skips it: the stored answer was computed for this credential,
    whose authentication the cache remembers (revocation and expiry included).
    """
    if response_cache.begin():
        return
    refuse_query_credentials()
    auth.current_principal()
    response_cache.authenticated()


def authorize() -> None:
    """What the view declared, before its arguments are parsed (no view: the 404/405 handlers check)."""
    policy = route.policy()
    if policy is None or response_cache.hit():
        return
    access.authorize(policy)


def make_idempotent() -> Response | None:
    policy = route.policy()
    if policy is None or not policy.idempotent:
        return None
    return idempotency.before_request()


API_STEPS: tuple[Step, ...] = (guard_input, authenticate, authorize, ratelimit.check, make_idempotent,
                               response_cache.serve)
WEB_STEPS: tuple[Step, ...] = (ratelimit.check,)
DOCS_STEPS: tuple[Step, ...] = (preview_dispatch, host_dispatch)

_STEPS = {route.API: API_STEPS, route.WEB: WEB_STEPS, route.DOCS: DOCS_STEPS}


def _run(steps: tuple[Step, ...]) -> Response | None:
    for step in steps:
        answer = step()
        if answer is not None:
            return answer
    return None


def begin() -> Response | None:
    """Request id, the origin split, the audit origin, then the origin's chain."""
    state, req = request_globals(), current_request()
    for key in [key for key in state if key in REQUEST_KEYS]:  # usually none: a request's g starts empty
        state.pop(key)
    assign_request_id()  # first: every answer carries it, the origin split's refusals included
    docs_host = is_docs_host(req.host)
    refusal = split_origins(docs_host)
    if refusal is not None:
        return refusal
    auth.begin_request()  # the audit log's origin of this request's changes
    origin = _origin(docs_host, req.path)
    policy = None
    if origin == route.API and req.endpoint is not None:
        policy = policy_of(current_app.view_functions.get(req.endpoint), req.method)
    route.bind(origin, policy)
    return _run(_STEPS[origin])


def _request_id_header(response: Answer) -> Answer:
    response.headers["X-Request-ID"] = request_globals().get("request_id") or uuid.uuid4().hex
    return response


#: What every answer goes through, in this order: the idempotency record is taken from the view's
#: answer, the rate-limit and request-id headers are added to it, and the browsable API turns the
#: finished response into a page last.
AFTER: tuple[Callable[[Answer], Answer], ...] = (
    idempotency.after_request, ratelimit.after_request, _request_id_header, browsable.after_request)


def end(response: Answer) -> Answer:
    for step in AFTER:
        response = step(response)
    return response


def _end(error: BaseException | None) -> None:
    auth.end_request()
    end_reads()


def install(app: Flask) -> None:
    """Register the pipeline: one hook before the view (:func:`begin`), one after it (:func:`end`),
    and the request's end."""
    ratelimit.init_app(app)
    app.before_request(begin)
    app.after_request(end)
    app.teardown_request(_end)
