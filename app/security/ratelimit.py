"""Rate limits with Flask-Limiter on the app's Redis, so every API process shares the counters.

* anonymous API requests: per client IP (``RATE_LIMIT_ANONYMOUS``, Read the Docs' 5/minute);
* authenticated API requests: per user (``RATE_LIMIT_USER``, 60/minute);
* reads a browser makes: per user, else per client IP (``RATE_LIMIT_BROWSE``): the browsable API's
  pages, the build page's log polling, the OpenAPI document and its page. They have their own,
  larger budget, so that reading the dashboard for a minute does not end in a 429 (or Swagger UI's
  "Failed to load API definition"); API clients, which ask for JSON, keep Read the Docs' limits,
  and every write stays under them;
* a view with its own budget (``ApiView.rate_limit``: the files of an upload) counts against that
  instead of the user's;
* accepted build triggers: per project (``RATE_LIMIT_BUILD_TRIGGER``), counted only when a build
  was actually queued, so nobody can use up a project's budget with refused requests;
* failed logins: per client IP (``RATE_LIMIT_LOGIN``).

A throttled request gets the error contract's 429 ``rate_limited`` with ``Retry-After``; every
limited response carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``
(seconds, as in the IETF RateLimit header draft) and ``RateLimit-Policy``. ``RATE_LIMITS_ENABLED``
is read on every request, so tests switch limits on and off without building another app.
If Redis is unreachable the limits fail open (logged): an outage must not lock everyone out.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.errors import RateLimitExceeded

from app.config import ConfigurationError
from app.errors import RateLimited
from app.extensions import get_redis
from app.problems import domain_error_response
from app.security import route

LOGIN_ENDPOINT = "web.login"


def _enabled() -> bool:
    return bool(current_app.config.get("RATE_LIMITS_ENABLED", True))


def _anonymous_exempt() -> bool:
    """Views that opt out of the per-address limit (``ApiView.anonymous_rate_limit``): device-login
    polling, and incoming webhooks, which authenticate with their secret and come from GitHub's and
    GitLab's few shared addresses (a per-IP limit would throttle every project's hooks together)."""
    policy = route.policy()
    return policy is not None and not policy.anonymous_rate_limit


#: What a browser's reads accept; an API client asks for JSON (or for anything, which means JSON).
_BROWSER_TYPES = ("application/json", "text/html", "text/plain")


def _browsing() -> bool:
    """A read made by a browser: the browsable API's HTML page (not ``?format=json``), a poll of a build's
    log as text, or the API's own documentation (the views that are never a browsable page)."""
    if request.method not in ("GET", "HEAD"):
        return False
    policy = route.policy()
    if policy is not None and not policy.browsable:
        return True
    if request.args.get("format") == "json":
        return False
    return request.accept_mimetypes.best_match(_BROWSER_TYPES) in ("text/html", "text/plain")


def _build_trigger() -> bool:
    policy = route.policy()
    return policy is not None and policy.build_trigger


def _own_budget() -> str | None:
    """The setting of the view's own per-user budget (``ApiView.rate_limit``), if it has one."""
    policy = route.policy()
    return policy.rate_limit if policy is not None else None


def _own_limit() -> str:
    return str(current_app.config[_own_budget() or "RATE_LIMIT_USER"])


def _caller() -> str | None:
    """Whose budget: a user's or a build's (``Principal.rate_key``), from authentication or from the
    credential a cached answer was served to; None when anonymous."""
    principal = g.get("current_principal") or g.get("cached_credential")
    return principal.rate_key if principal is not None else None


def _authenticated() -> bool:
    return _caller() is not None


def _ip_key() -> str:
    return f"ip:{request.remote_addr or 'unknown'}"


def _user_key() -> str:
    return _caller() or _ip_key()


def _project_key() -> str:
    return f"project:{(request.view_args or {}).get('project_slug', '')}"


def _setting(name: str) -> Any:
    return lambda: current_app.config[name]


def _limits() -> list[ApplicationLimit]:
    return [
        ApplicationLimit(
            _setting("RATE_LIMIT_ANONYMOUS"),
            key_function=_ip_key,
            scope="anonymous",
            exempt_when=lambda: not route.is_api() or _authenticated() or _anonymous_exempt() or _browsing(),
        ),
        ApplicationLimit(
            _setting("RATE_LIMIT_USER"),
            key_function=_user_key,
            scope="user",
            exempt_when=lambda: (not route.is_api() or not _authenticated() or _browsing()
                                 or bool(_own_budget())),
        ),
        ApplicationLimit(
            _own_limit,
            key_function=_user_key,
            scope="own-budget",
            exempt_when=lambda: not route.is_api() or not _authenticated() or not _own_budget(),
        ),
        ApplicationLimit(
            _setting("RATE_LIMIT_BROWSE"),
            key_function=_user_key,
            scope="browse",
            exempt_when=lambda: not route.is_api() or not _browsing() or (
                not _authenticated() and _anonymous_exempt()),
        ),
        ApplicationLimit(
            _setting("RATE_LIMIT_BUILD_TRIGGER"),
            key_function=_project_key,
            scope="build-trigger",
            exempt_when=lambda: not _build_trigger(),
            deduct_when=lambda response: response.status_code == 202,
        ),
        ApplicationLimit(
            _setting("RATE_LIMIT_LOGIN"),
            key_function=_ip_key,
            scope="login",
            exempt_when=lambda: request.endpoint != LOGIN_ENDPOINT or request.method != "POST",
            deduct_when=lambda response: response.status_code != 303,
        ),
    ]


#: Where the counters live in Redis (limits' ``key_prefix`` option).
KEY_PREFIX = "docshelf:ratelimit"


def _make_limiter(app: Flask) -> Limiter:
    """One Limiter per app, its counters on the app's own Redis connection pool.

    Both are limits' documented Redis storage options (``storage_options`` reach the storage's
    constructor): the ``redis://`` scheme picks the storage, ``connection_pool`` makes it use the
    app's pool (which talks to any URL the app has, the embedded server's unix socket included)
    instead of opening its own. The pool connects on first use, not here.
    """
    try:
        pool = get_redis(app).connection_pool
    except ConfigurationError:
        # No Redis: an app for migrations or ``docshelf settings``. No process serves requests that
        # way (app/preflight.py stops it), so there is nothing to count; never a private counter.
        return Limiter(_ip_key, storage_uri="memory://", enabled=False)
    limiter = Limiter(
        _ip_key,
        application_limits=_limits(),  # type: ignore[arg-type]
        headers_enabled=False,  # _headers writes them: Flask-Limiter would overwrite others' Retry-After
        storage_uri="redis://",
        storage_options={"connection_pool": pool, "key_prefix": KEY_PREFIX},  # type: ignore[dict-item]
        strategy="fixed-window",
        swallow_errors=True,
    )
    limiter.request_filter(_disabled)
    return limiter


def current_limiter() -> Limiter:
    return current_app.extensions["docshelf.limiter"]


def _disabled() -> bool:
    return not _enabled()


def _reset_in(reset_at: float) -> int:
    return max(1, int(round(reset_at - time.time())))


def _headers(response: Response) -> Response:
    current = current_limiter().current_limit if _enabled() else None
    if current is None:
        return response
    try:
        reset = _reset_in(current.reset_at)
        response.headers["RateLimit-Limit"] = str(current.limit.amount)
        response.headers["RateLimit-Remaining"] = str(max(0, current.remaining))
        response.headers["RateLimit-Reset"] = str(reset)
        response.headers["RateLimit-Policy"] = f"{current.limit.amount};w={current.limit.get_expiry()}"
        if response.status_code == 429:
            response.headers["Retry-After"] = str(reset)
    except Exception:  # noqa: BLE001  (headers are advisory; Redis trouble must not fail the response)
        current_app.logger.warning("could not compute rate limit headers", exc_info=True)
    return response


def rate_limited(error: RateLimitExceeded) -> Response:
    current = current_limiter().current_limit
    retry = _reset_in(current.reset_at) if current is not None else 60
    refusal = RateLimited(
        f"Request was throttled. Expected available in {retry} seconds.",
        extra={"limit": str(error.limit.limit)},
        headers={"Retry-After": str(retry)},
    )
    return domain_error_response(refusal)


def init_app(app: Flask) -> None:
    """Flask-Limiter's own ``before_request`` hook is the pipeline's rate-limit step: :mod:`app.pipeline`
    calls this between its hooks for authorization and for idempotency."""
    app.after_request(_headers)  # registered first, so it runs after the limiter's own after_request
    limiter = _make_limiter(app)
    app.extensions["docshelf.limiter"] = limiter
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, rate_limited)
