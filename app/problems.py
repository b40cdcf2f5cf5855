"""The one error contract: every non-2xx body Docshelf writes (API, docs origin, web) is a :func:`problem`.

Below every tier, so the API, the docs server and the request guards answer alike without importing
each other: the domain exceptions (:mod:`app.errors`) carry the machine fields, this module turns them
and bare HTTP statuses into the body. Which exception maps to which response is registered once, in
:mod:`app.api.errors`.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Response, current_app, g, request
from werkzeug.http import HTTP_STATUS_CODES

from app.errors import DocshelfError

__all__ = ["HTTP_CODES", "domain_error_response", "problem", "status_title"]

#: HTTP status → (machine code, category) for errors raised by the framework itself.
HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("validation_error", "validation"),
    401: ("auth_required", "auth"),
    403: ("permission_denied", "auth"),
    404: ("not_found", "not_found"),
    405: ("method_not_allowed", "validation"),
    406: ("not_acceptable", "validation"),
    409: ("conflict", "conflict"),
    413: ("payload_too_large", "validation"),
    415: ("unsupported_media_type", "validation"),
    429: ("rate_limited", "quota"),
    503: ("retryable_error", "retryable"),
}


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    category: str | None = None,
    title: str | None = None,
    errors: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    retryable: bool | None = None,
) -> Response:
    """The problem body (``type``, ``title``, ``status``, ``detail``, ``code``, ``category``,
    ``retryable``, ``errors``, ``request_id`` plus any ``extra`` keys) as a response."""
    default_code, default_category = HTTP_CODES.get(status, ("internal_error", "internal"))
    code = code or default_code
    category = category or default_category
    body: dict[str, Any] = dict(extra or {})
    body.update(
        type=f"urn:docshelf:error:{code}",
        title=title or status_title(status),
        status=status,
        detail=detail,
        code=code,
        category=category,
        retryable=category == "retryable" if retryable is None else retryable,
        errors=errors or {},
        request_id=g.get("request_id"),
    )
    response = cast(Response, current_app.json.response(body))
    response.status_code = status
    if "application/problem+json" in request.headers.get("Accept", ""):
        response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Token realm="api"'
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def status_title(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Error")


def domain_error_response(error: DocshelfError) -> Response:
    """A domain exception as the contract's body: its status and machine fields, nothing lost."""
    return problem(
        error.status,
        error.detail,
        code=error.code,
        category=error.category,
        title=error.title,
        errors=error.errors,
        extra=error.extra,
        headers=error.headers,
        retryable=error.retryable,
    )
