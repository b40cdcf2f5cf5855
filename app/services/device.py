"""OAuth 2.0 Device Authorization Grant (RFC 8628) for command-line tools.

The tool starts a request and shows the user a short code; the user approves it on the verification
page while logged in; the tool polls and receives a scoped, expiring token once. Poll errors are the
RFC's names (``authorization_pending``, ``slow_down``, ``expired_token``, ``access_denied``,
``invalid_grant``) as the error contract's ``code``, with the RFC's ``error`` field beside it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import ApiToken, DeviceAuthorization, User
from app.models.base import utcnow
from app.policy.scopes import SCOPES
from app.services import audit, tokens

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_SCOPES = ["projects:read", "builds:read"]
#: RFC 8628 §6.1: no vowels (no words), no look-alikes; 20^8 codes.
_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
_SLOW_DOWN_STEP = 5


class DeviceFlowError(ValidationError):
    """A 400 whose ``code`` and ``error`` are the RFC 8628 error name."""

    def __init__(self, error: str, detail: str, **extra: Any) -> None:
        super().__init__(detail, code=error, extra={"error": error, "error_description": detail, **extra})
        self.category = "auth"
        self.retryable = error in ("authorization_pending", "slow_down")


def _hash(device_code: str) -> str:
    return hashlib.sha256(device_code.encode()).hexdigest()


def normalize_user_code(raw: str) -> str:
    letters = re.sub(r"[^A-Z]", "", raw.upper())[:8]
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters


def start(
    client_name: str, scopes: list[str] | None, projects: list[str] | None
) -> tuple[DeviceAuthorization, str]:
    """A new pending request and its device code (returned once; only its hash is kept)."""
    scopes = sorted(set(scopes)) if scopes else list(DEFAULT_SCOPES)
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        message = f"Unknown scope(s): {', '.join(unknown)}."
        raise ValidationError(message, errors={"scopes": [message]})
    device_code = secrets.token_urlsafe(32)
    user_code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    authorization = DeviceAuthorization(
        device_code_hash=_hash(device_code),
        user_code=f"{user_code[:4]}-{user_code[4:]}",
        client_name=client_name,
        scopes=scopes,
        projects=sorted(set(projects)) if projects else None,
        interval=int(current_app.config.get("DEVICE_POLL_INTERVAL", 5)),
        expires=utcnow() + timedelta(seconds=int(current_app.config.get("DEVICE_CODE_TTL", 900))),
    )
    db.session.add(authorization)
    db.session.commit()  # a user-code collision (1 in 25e9) is a unique violation → 409, retry
    return authorization, device_code


def pending_by_user_code(raw: str) -> DeviceAuthorization:
    code = normalize_user_code(raw)
    stmt = select(DeviceAuthorization).where(DeviceAuthorization.user_code == code)
    authorization = db.session.scalar(stmt)
    if authorization is None or authorization.status != "pending" or authorization.expires <= utcnow():
        raise NotFound("This code is unknown, expired or already used.")
    return authorization


def decide(authorization: DeviceAuthorization, user: User, approve: bool) -> None:
    """The logged-in user approves (or denies) the request shown on the verification page.

    The audit events name ``user`` as the actor; the request id and address are the origin the
    HTTP layer bound (:func:`app.services.audit.bind_origin`): this module never reads the request.
    """
    if approve:
        project_ids = tokens.resolve_projects(user, authorization.projects)
        authorization.status, authorization.user_id = "approved", user.id
        authorization.scopes = authorization.scopes or list(DEFAULT_SCOPES)
        details = {
            "client": authorization.client_name,
            "scopes": authorization.scopes,
            "project_ids": project_ids,
        }
        audit.record("device.approved", actor=user, target=authorization.user_code, details=details)
    else:
        authorization.status, authorization.user_id = "denied", user.id
        audit.record("device.denied", actor=user, target=authorization.user_code)
    db.session.commit()


def poll(device_code: str, grant_type: str) -> tuple[ApiToken, str]:
    """One poll: the token once approved, otherwise the RFC error that says what to do next."""
    if grant_type != GRANT_TYPE:
        raise DeviceFlowError("unsupported_grant_type", f"Use grant_type {GRANT_TYPE}.")
    authorization = db.session.scalar(
        select(DeviceAuthorization).where(DeviceAuthorization.device_code_hash == _hash(device_code))
    )
    if authorization is None or authorization.status == "consumed":
        raise DeviceFlowError("invalid_grant", "The device code is unknown or was already used.")
    now = utcnow()
    if authorization.expires <= now:
        raise DeviceFlowError("expired_token", "The device code expired; start again.")
    if authorization.status == "denied":
        raise DeviceFlowError("access_denied", "The user denied the request.")
    too_soon = authorization.last_polled is not None and now - authorization.last_polled < timedelta(
        seconds=authorization.interval
    )
    authorization.last_polled = now
    if too_soon:
        authorization.interval += _SLOW_DOWN_STEP
        db.session.commit()
        raise DeviceFlowError(
            "slow_down", "Polling too fast; wait longer between polls.", interval=authorization.interval
        )
    if authorization.status != "approved" or authorization.user is None:
        db.session.commit()
        raise DeviceFlowError("authorization_pending", "The user has not approved the request yet.")
    ttl = int(current_app.config.get("DEVICE_TOKEN_TTL") or 0)
    # Resolved again: the user may have stopped maintaining a project since approving.
    project_ids = tokens.resolve_projects(authorization.user, authorization.projects)
    token, key = tokens.create_token(
        authorization.user,
        f"device: {authorization.client_name}"[:100],
        scopes=authorization.scopes,
        expires=now + timedelta(seconds=ttl) if ttl > 0 else None,
        project_ids=project_ids,
    )
    authorization.status, authorization.token_id = "consumed", token.id
    db.session.commit()
    return token, key
