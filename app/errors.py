"""Domain exceptions raised by services; ``app.api.base`` maps each onto the one error contract."""

from __future__ import annotations

from typing import Any


class DocshelfError(Exception):
    """Base of every expected failure: carries the HTTP status and the contract's machine fields."""

    status = 400
    code = "validation_error"
    category = "validation"
    title = "Bad Request"
    retryable = False

    def __init__(
        self,
        detail: str,
        *,
        errors: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        #: Extra top-level keys (e.g. ``triggered: false``) that clients of Read the Docs read.
        self.extra = extra or {}
        self.headers = headers or {}
        if code:
            self.code = code


class ValidationError(DocshelfError):
    pass


class AuthRequired(DocshelfError):
    status, code, category, title = 401, "auth_required", "auth", "Unauthorized"


class PermissionDenied(DocshelfError):
    status, code, category, title = 403, "permission_denied", "auth", "Forbidden"


class InsufficientScope(PermissionDenied):
    """The credentials' user could do it, but the token was not given the scope (body names it)."""

    code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"This token is missing the required scope: {scope}.", extra={"required_scope": scope}
        )


class NotFound(DocshelfError):
    status, code, category, title = 404, "not_found", "not_found", "Not Found"


class Conflict(DocshelfError):
    status, code, category, title = 409, "conflict", "conflict", "Conflict"


class RetryableConflict(Conflict):
    """The same thing is being done right now (e.g. a webhook delivery sent twice): retry shortly."""

    category, retryable = "retryable", True


class QuotaExceeded(DocshelfError):
    status, code, category, title = 429, "quota_exceeded", "quota", "Too Many Requests"


class RateLimited(DocshelfError):
    status, code, category, title = 429, "rate_limited", "quota", "Too Many Requests"
    retryable = True


class IdempotencyKeyReused(DocshelfError):
    status, code, category, title = 422, "idempotency_key_reused", "conflict", "Unprocessable Content"


class RetryableError(DocshelfError):
    status, code, category, title = 503, "retryable_error", "retryable", "Service Unavailable"
    retryable = True
