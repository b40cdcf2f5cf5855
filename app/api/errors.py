"""How failures become the error contract's responses: the app-wide error handlers.

The contract itself (:func:`~app.problems.problem`, the body every non-2xx response carries) lives
in :mod:`app.problems`, below every tier, so the docs server and the request guards use it without
importing the API; ``problem`` is re-exported here for the API's own modules.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, request
from sqlalchemy.exc import IntegrityError, InvalidRequestError, OperationalError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app.errors import DocshelfError
from app.problems import domain_error_response, problem, status_title

log = logging.getLogger(__name__)


def _validation_errors(data: dict[str, Any]) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {...}}); the contract nests them like the input."""
    merged: dict[str, Any] = {}
    for messages in (data.get("messages") or {}).values():
        if isinstance(messages, dict):
            merged.update(messages)
        else:
            merged.setdefault("non_field_errors", []).extend(messages)
    return merged


def _first_message(errors: Any) -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            msg = _first_message(value)
            return msg if key in ("_schema", "non_field_errors") else f"{key}: {msg}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


def http_error_response(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 or data.get("messages"):
        errors = _validation_errors(data)
        return problem(400, _first_message(errors) if errors else "Invalid input.", errors=errors)
    if isinstance(error, MethodNotAllowed):
        from app.api.access import check_before_405

        try:  # 401/403/404 come first, in Read the Docs' order
            check_before_405(list(error.valid_methods or []))
        except DocshelfError as exc:
            return domain_error_response(exc)
        return problem(
            405,
            f'Method "{request.method}" not allowed.',
            headers={"Allow": ", ".join(error.valid_methods or [])},
        )
    if status >= 500:
        return problem(status, "Internal server error.", code="internal_error", category="internal")
    detail = data.get("message") or error.description or status_title(status)
    if status == 404 and error.description and error.description.startswith("The requested URL"):
        detail = "Not found."
    return problem(status, str(detail), headers=data.get("headers"))


def integrity_error_response(error: IntegrityError) -> Response:
    """A unique constraint lost a race the service could not see coming: a conflict, never a 500."""
    from app.extensions import db

    db.session.rollback()
    log.info("integrity error mapped to 409: %s", error.orig)
    return problem(409, "The request conflicts with the current state of the resource.")


def vanished_response(error: Exception) -> Response:
    """A row this request loaded was deleted by another request before it was written or shown.

    ``StaleDataError``: the UPDATE matched no row; ``ObjectDeletedError``: reloading an expired
    instance (after this request's own commit) found none. Either way the object is gone, which is
    what the request would have been told had the other one come first: 404, with nothing half-done
    kept. Views need no lock for this; rules spanning several rows still take one (``app.locks``).
    """
    from app.extensions import db

    db.session.rollback()
    log.info("row vanished during the request, mapped to 404: %s", error)
    return problem(404, VANISHED)


def refresh_failed_response(error: InvalidRequestError) -> Response:
    """``session.refresh`` after taking a lock (the services' idiom) found the row deleted meanwhile:
    that one message is a vanished row; any other InvalidRequestError is a bug, and stays a 500."""
    if str(error).startswith("Could not refresh instance"):
        return vanished_response(error)
    return internal_error_response(error)


def raise_if_vanished(shown: Any, many: bool) -> None:
    """Dumping a response failed (``None.slug``...): if a row being shown was deleted meanwhile, say so.

    A lazy load that runs after another request deleted the row finds its parent gone too (the
    foreign keys cascade), and returns None where the schema expects an object. When one of the
    shown rows no longer exists, that was the cause: 404 for an object, a retryable 409 for a page
    (the list changed under the read). Otherwise nothing vanished and the caller re-raises.
    """
    from sqlalchemy import inspect, select

    from app.errors import NotFound, RetryableConflict
    from app.extensions import db

    for item in list(shown) if many else [shown]:
        state = inspect(item, raiseerr=False)
        if state is None or state.identity is None:
            continue
        key = state.mapper.primary_key
        same = [column == value for column, value in zip(key, state.identity, strict=True)]
        if db.session.execute(select(*key).where(*same)).first() is not None:
            continue
        db.session.rollback()
        log.info("row vanished while the response was dumped: %r", item)
        if many:
            raise RetryableConflict("The list changed while it was read; retry.")
        raise NotFound(VANISHED)


VANISHED = "Not found: it was deleted by another request meanwhile."


#: PostgreSQL's "this transaction lost a race" (deadlock_detected, serialization_failure): nothing is
#: down, two requests locked the same rows in opposite orders and the server undid this one.
_LOST_RACE = {"40P01", "40001"}


def unavailable_response(error: Exception) -> Response:
    from app.extensions import db

    db.session.rollback()
    if getattr(getattr(error, "orig", None), "sqlstate", None) in _LOST_RACE:
        log.info("transaction lost a race, mapped to 409: %s", error)
        return problem(409, "A concurrent request changed the same objects; nothing was done, retry.",
                       category="retryable", retryable=True)
    log.warning("backing service unavailable: %s", error)
    return problem(503, "A backing service is unavailable; retry shortly.", headers={"Retry-After": "5"})


def internal_error_response(error: Exception) -> Response:
    from app.extensions import db

    db.session.rollback()
    log.exception("unhandled error", exc_info=error)
    return problem(500, "Internal server error.", code="internal_error", category="internal")


def register_error_handlers(app: Any) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    app.register_error_handler(DocshelfError, domain_error_response)
    app.register_error_handler(IntegrityError, integrity_error_response)
    app.register_error_handler(ObjectDeletedError, vanished_response)
    app.register_error_handler(StaleDataError, vanished_response)
    app.register_error_handler(InvalidRequestError, refresh_failed_response)
    app.register_error_handler(OperationalError, unavailable_response)
    app.register_error_handler(RedisConnectionError, unavailable_response)
    app.register_error_handler(RedisTimeoutError, unavailable_response)
