"""``Idempotency-Key`` on every API POST: a retried request replays the first answer instead of acting twice.

Records live in Redis, keyed by the credential (the token or browser session that made the request,
or the client IP when anonymous) and the key. Not by the user: a user's narrow token replaying the
key of the same user's wide token would be handed the wide request's answer (a new token's secret,
for ``POST /tokens/``). A record is only ever replayed to the credential that made it:

* first request: ``SET NX`` a short-lived *pending* marker with the request's fingerprint (method,
  path, query, body), run the view, then store a successful (2xx) response for ``IDEMPOTENCY_TTL``
  (24 h); a failed one removes the marker so the client can correct the request and retry;
* same key, same fingerprint, stored: replay it (``Idempotent-Replayed: true``);
* same key, same fingerprint, still pending (a concurrent duplicate): wait for the first one and
  replay it, or answer 409 ``idempotency_in_progress`` (retryable) if it takes too long;
* same key, another fingerprint: 422 ``idempotency_key_reused``.

The pending marker expires on its own, so a crashed worker cannot block a key for a day.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time

from flask import Response, current_app, g, request

from app.context import current_request, request_globals
from app.errors import Conflict, IdempotencyKeyReused, ValidationError
from app.extensions import get_redis

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
PENDING_TTL = 60
WAIT_SECONDS = 10.0
_KEPT_HEADERS = ("Content-Type", "Location")


def _redis_key(key: str) -> str:
    principal = g.get("current_principal")
    caller = principal.credential_id if principal is not None else f"ip:{request.remote_addr}"
    return "docshelf:idempotency:" + hashlib.sha256(f"{caller}\0{key}".encode()).hexdigest()


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method}\0{request.full_path}\0".encode())
    digest.update(request.get_data(cache=True))  # the view parses the same cached bytes
    return digest.hexdigest()


def _replay(record: dict[str, str]) -> Response:
    response = current_app.response_class(
        base64.b64decode(record["body"]), status=int(record["status"]), headers=json.loads(record["headers"])
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


def before_request() -> Response | None:
    """The API pipeline's step for views that declare themselves idempotent."""
    if current_request().method != "POST":
        return None  # (the pipeline starts every request without a record on ``g``)
    key = request.headers.get(HEADER)
    if (
        key is None
        or request.routing_exception is not None  # no view will run (404/405/308): nothing to replay
    ):
        return None
    if not _VALID_KEY.match(key):
        raise ValidationError(
            f"{HEADER} must be 1 to 255 visible ASCII characters.", code="invalid_idempotency_key"
        )
    fingerprint = _fingerprint()
    redis, redis_key = get_redis(), _redis_key(key)
    pending = json.dumps({"state": "pending", "fingerprint": fingerprint})
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        if redis.set(redis_key, pending, nx=True, ex=PENDING_TTL):
            g.idempotency = (redis_key, fingerprint)
            return None
        raw = redis.get(redis_key)
        if raw is None:  # expired between SET and GET: try to claim it again
            continue
        record = json.loads(raw)
        if record["fingerprint"] != fingerprint:
            raise IdempotencyKeyReused(
                f"This {HEADER} was already used for a different request; use a new key for a new request."
            )
        if record["state"] == "done":
            return _replay(record)
        if time.monotonic() > deadline:
            error = Conflict(
                f"A request with this {HEADER} is still being processed; retry shortly.",
                code="idempotency_in_progress",
                headers={"Retry-After": "1"},
            )
            error.category, error.retryable = "retryable", True
            raise error
        time.sleep(0.05)


def after_request(response: Response) -> Response:
    state = request_globals().pop("idempotency", None)
    if state is None:
        return response
    redis_key, fingerprint = state
    redis = get_redis()
    if not 200 <= response.status_code < 300 or response.direct_passthrough:
        redis.delete(redis_key)
        return response
    headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
    record = {
        "state": "done",
        "fingerprint": fingerprint,
        "status": str(response.status_code),
        "headers": json.dumps(headers),
        "body": base64.b64encode(response.get_data()).decode(),
    }
    redis.set(redis_key, json.dumps(record), ex=int(current_app.config.get("IDEMPOTENCY_TTL", 86400)))
    return response
