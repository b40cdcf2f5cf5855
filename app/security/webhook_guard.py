"""Wrong webhook secrets are rate limited, without letting an attacker silence a project's real sender.

Incoming webhooks are anonymous: the secret is the credential, so every wrong signature or token is a
guess, and guesses must be counted. Once over ``RATE_LIMIT_WEBHOOK_FAILURES`` a request is answered
429 ``rate_limited`` *before* its secret is checked; checking it and answering only the right ones would
keep the oracle open. Counted, in Redis through the rate limits' storage (shared by every process):

* per client IP, over all integrations: one address guessing at many projects;
* per integration, over all addresses: many addresses guessing at one project.

Both shared counters would let anybody who floods an integration with wrong secrets block its real
sender too. So a client address that has proved the secret to an integration (a delivery with a right
signature in the last 30 days: in practice GitHub's, GitLab's or the CI's addresses) is not held back by
either: its requests to that integration are checked against a counter of its own (that integration and
that address) only, and its failures count only there. An attacker therefore blocks, at most, new
senders of one integration for the rest of a window, or its proven senders only by sending from their
very addresses (e.g. through a GitHub webhook of their own pointing at the victim's URL), and then only
for that integration. A missing proof (no header, no token) is a misconfiguration, not a guess, and is
not counted. Redis trouble lets requests through (logged), like the other limits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from limits import RateLimitItem, parse
from limits.strategies import FixedWindowRateLimiter

from app.errors import PermissionDenied, RateLimited
from app.extensions import get_redis
from app.security import ratelimit

log = logging.getLogger(__name__)

PREFIX = "webhook-failures"
#: How long a right signature makes its address a known sender of the integration.
KNOWN_SENDER_TTL = 30 * 24 * 3600


def _known_key(integration_id: int, ip: str) -> str:
    return f"docshelf:webhook-sender:{integration_id}:{ip}"


def _counters(integration_id: int, ip: str, known: bool) -> list[str]:
    if known:
        return [f"{PREFIX}:sender:{integration_id}:{ip}"]
    return [f"{PREFIX}:ip:{ip}", f"{PREFIX}:integration:{integration_id}"]


def _limiter() -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(ratelimit.storage())


def _refuse(limiter: FixedWindowRateLimiter, item: RateLimitItem, key: str) -> RateLimited:
    reset_at = limiter.get_window_stats(item, key).reset_time
    retry = max(1, int(round(reset_at - time.time())))
    return RateLimited(
        f"Too many webhook deliveries with a wrong secret. Expected available in {retry} seconds.",
        extra={"limit": str(item)},
        headers={"Retry-After": str(retry)},
    )


@contextmanager
def failures_limited(integration_id: int, ip: str) -> Iterator[None]:
    """Run the secret check inside: refused 429 while over the limit, a wrong secret counted."""
    if not ratelimit.enabled():
        yield
        return
    try:
        limiter, item = _limiter(), parse(current_app.config["RATE_LIMIT_WEBHOOK_FAILURES"])
        known = bool(get_redis().exists(_known_key(integration_id, ip)))
        keys = _counters(integration_id, ip, known)
        over = next((key for key in keys if not limiter.test(item, key)), None)
    except Exception:  # noqa: BLE001  (Redis down: fail open, as app.security.ratelimit does)
        log.warning("webhook failure limit unavailable", exc_info=True)
        yield
        return
    if over is not None:
        raise _refuse(limiter, item, over)
    try:
        yield
    except PermissionDenied:
        _count(limiter, item, keys)
        raise
    try:
        get_redis().set(_known_key(integration_id, ip), "1", ex=KNOWN_SENDER_TTL)
    except Exception:  # noqa: BLE001
        log.warning("could not remember a webhook sender", exc_info=True)


def _count(limiter: FixedWindowRateLimiter, item: RateLimitItem, keys: list[str]) -> None:
    try:
        for key in keys:
            limiter.hit(item, key)
    except Exception:  # noqa: BLE001
        log.warning("could not count a failed webhook secret", exc_info=True)
