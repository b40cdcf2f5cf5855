"""Rate limits on the app's Redis, so every API process shares the counters: the pipeline's rate-limit step.

What a request counts against (its *budgets*, each ``(limit setting, whose counter)``):

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

The counters are the ``limits`` library's, on its Redis storage over the app's own connection pool,
in fixed windows on a schedule known in advance: the window's number is part of the counter's key, so
one ``incr`` (one round trip: limits' script increments and sets the expiry) tells the count, and the
window's end needs no second question. Each counter's windows start at a second of their own, so
throttled callers do not all return at once. Flask-Limiter, which this module used before, asked Redis three
times per request (the hit, then the count and the expiry for the headers) and cost about as much
as the rest of an authenticated read; figure 8 of ``make bench`` measures a poll with limits on.
Counting after the answer (build triggers, failed logins) tests the count first and increments it
once the answer is known.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, Request, Response, current_app
from limits import RateLimitItem, parse
from limits.storage import RedisStorage, storage_from_string

from app.config import ConfigurationError
from app.context import current_request, request_globals
from app.errors import RateLimited
from app.extensions import get_redis
from app.security import route

log = logging.getLogger(__name__)

LOGIN_ENDPOINT = "web.login"
#: Where the counters live in Redis (the storage's ``key_prefix``).
KEY_PREFIX = "docshelf:ratelimit"
#: The ``g`` keys this module owns (the pipeline drops them at the start of every request).
REQUEST_KEYS = ("rate_limit", "rate_limit_later")


@dataclass(frozen=True)
class Budget:
    """One counter a request counts against: the setting holding its limit, its scope and whose it is.
    ``counts_if``: counted only when the answer satisfies it (tested before, incremented after)."""

    scope: str
    setting: str
    who: str
    counts_if: Callable[[Response], bool] | None = None


@dataclass
class Usage:
    """A budget's counter as this request left it (what the headers say)."""

    item: RateLimitItem
    key: str
    count: int
    reset_at: float

    def headers(self, status: int) -> dict[str, str]:
        reset = _seconds_until(self.reset_at)
        headers = {
            "RateLimit-Limit": str(self.item.amount),
            "RateLimit-Remaining": str(max(0, self.item.amount - self.count)),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{self.item.amount};w={self.item.get_expiry()}",
        }
        if status == 429:
            headers["Retry-After"] = str(reset)
        return headers


def enabled() -> bool:
    """``RATE_LIMITS_ENABLED``, read per request (the webhook guard's limit follows it too)."""
    return bool(current_app.config.get("RATE_LIMITS_ENABLED", True))


#: What a browser's reads accept; an API client asks for JSON (or for anything, which means JSON).
_BROWSER_TYPES = ("application/json", "text/html", "text/plain")


def _browsing(req: Request, policy: route.ViewPolicy | None) -> bool:
    """A read made by a browser: the browsable API's HTML page (not ``?format=json``), a poll of a build's
    log as text, or the API's own documentation (the views that are never a browsable page)."""
    if req.method not in ("GET", "HEAD"):
        return False
    if policy is not None and not policy.browsable:
        return True
    if req.args.get("format") == "json":
        return False
    return req.accept_mimetypes.best_match(_BROWSER_TYPES) in ("text/html", "text/plain")


def _caller() -> str | None:
    """Whose budget: a user's or a build's (``Principal.rate_key``), from authentication or from the
    credential a cached answer was served to; None when anonymous."""
    state = request_globals()
    principal = state.get("current_principal") or state.get("cached_credential")
    return principal.rate_key if principal is not None else None


def _ip_key(req: Request) -> str:
    return f"ip:{req.remote_addr or 'unknown'}"


def _accepted(response: Response) -> bool:
    return response.status_code == 202


def _login_failed(response: Response) -> bool:
    return response.status_code != 303


def budgets() -> list[Budget]:
    """What this request counts against, in the order the headers prefer (the first one is shown)."""
    policy, req = route.policy(), current_request()
    found: list[Budget] = []
    if route.is_api():
        caller, browsing = _caller(), _browsing(req, policy)
        anonymous_exempt = policy is not None and not policy.anonymous_rate_limit
        if caller is None and not anonymous_exempt and not browsing:
            found.append(Budget("anonymous", "RATE_LIMIT_ANONYMOUS", _ip_key(req)))
        own = policy.rate_limit if policy is not None else None
        if caller is not None and not browsing and not own:
            found.append(Budget("user", "RATE_LIMIT_USER", caller))
        if caller is not None and own:
            found.append(Budget("own-budget", own, caller))
        if browsing and not (caller is None and anonymous_exempt):
            found.append(Budget("browse", "RATE_LIMIT_BROWSE", caller or _ip_key(req)))
    if policy is not None and policy.build_trigger:
        slug = (req.view_args or {}).get("project_slug", "")
        found.append(Budget("build-trigger", "RATE_LIMIT_BUILD_TRIGGER", f"project:{slug}", _accepted))
    if req.endpoint == LOGIN_ENDPOINT and req.method == "POST":
        found.append(Budget("login", "RATE_LIMIT_LOGIN", _ip_key(req), _login_failed))
    return found


@lru_cache(maxsize=64)
def _item(limit: str) -> RateLimitItem:
    return parse(limit)


def _window(item: RateLimitItem, counter: str, now: float) -> tuple[int, float]:
    """The window of ``counter`` that ``now`` falls in: (its number, when it ends). Each counter's windows
    start at a second of their own (a stable hash of the counter), so that the callers throttled in one
    window do not all come back at the same instant."""
    length = item.get_expiry()
    phase = zlib.crc32(counter.encode()) % length
    number = int((now - phase) // length)
    return number, (number + 1) * length + phase


def _seconds_until(moment: float) -> int:
    return max(1, int(round(moment - time.time())))


def check() -> None:
    """The pipeline's rate-limit step: count this request, or refuse it with a 429."""
    if not enabled():
        return
    found = budgets()
    if not found:
        return
    now, later, state = time.time(), [], request_globals()
    try:
        counters = storage()
        for budget in found:
            item = _item(str(current_app.config[budget.setting]))
            number, reset_at = _window(item, f"{budget.scope}/{budget.who}", now)
            key = item.key_for(budget.scope, budget.who, str(number))
            if budget.counts_if is None:
                count = counters.incr(key, item.get_expiry())
                over = count > item.amount
            else:  # counted after the answer: is there room for one more?
                count = counters.get(key)
                over = count + 1 > item.amount
                later.append((budget, key))
            if budget is found[0] or over:  # the headers show the first budget, or the one exceeded
                state.rate_limit = Usage(item, key, count, reset_at)
            if over:
                log.info("rate limit %s (%s, %s) exceeded", item, budget.scope, budget.who)
                raise RateLimited(
                    f"Request was throttled. Expected available in {_seconds_until(reset_at)} seconds.",
                    extra={"limit": str(item)},
                    headers={"Retry-After": str(_seconds_until(reset_at))},
                )
    except RateLimited:
        raise
    except Exception:  # noqa: BLE001  (Redis trouble: fail open, never lock everyone out)
        log.warning("rate limits unavailable; letting the request through", exc_info=True)
        return
    state.rate_limit_later = later


def after_request(response: Response) -> Response:
    """Count what counts only by its answer, then write the headers of the budget shown."""
    state = request_globals()
    for budget, key in state.get("rate_limit_later") or ():
        if budget.counts_if is not None and budget.counts_if(response):
            try:
                count = storage().incr(key, _item(str(current_app.config[budget.setting])).get_expiry())
            except Exception:  # noqa: BLE001
                log.warning("could not count a request against its rate limit", exc_info=True)
                continue
            usage = state.get("rate_limit")
            if usage is not None and usage.key == key:
                usage.count = count
    usage = state.get("rate_limit")
    if usage is not None:
        response.headers.update(usage.headers(response.status_code))
    return response


def storage() -> RedisStorage:
    """The counters' storage (also the webhook guard's, :mod:`app.security.webhook_guard`)."""
    found: RedisStorage | None = current_app.extensions.get("docshelf.ratelimit_storage")
    if found is None:
        raise ConfigurationError("rate limits need Redis (DOCSHELF_REDIS_URL)")
    return found


def init_app(app: Flask) -> None:
    """The counters' storage: limits' Redis storage (its documented ``connection_pool`` and
    ``key_prefix`` options) on the app's own pool, which talks to any URL the app has, the embedded
    server's unix socket included, instead of opening its own. The pool connects on first use."""
    try:
        pool = get_redis(app).connection_pool
    except ConfigurationError:
        # No Redis: an app for migrations or ``docshelf settings``. No process serves requests that
        # way (app/preflight.py stops it), so there is nothing to count; never a private counter.
        return
    counters = storage_from_string("redis://", connection_pool=pool, key_prefix=KEY_PREFIX)  # type: ignore[arg-type]
    assert isinstance(counters, RedisStorage)
    app.extensions["docshelf.ratelimit_storage"] = counters
