"""Browser sessions (Flask's signed cookie) and their CSRF token.

The cookie holds the user id and a fingerprint of the password hash: changing the password ends
every session, without a server-side session store. CSRF is a per-session random token that unsafe
requests must echo (``X-CSRF-Token`` header for the API, ``csrf_token`` field for forms); it is only
needed when the session is what authenticates the request, since tokens are not sent by browsers
on their own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface

from app.errors import PermissionDenied
from app.extensions import db
from app.models import User

_UID, _VERSION, _CSRF = "uid", "sv", "csrf"
CSRF_HEADER = "X-CSRF-Token"


def _version(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.password_hash or ''}".encode()).hexdigest()[:16]


def login(user: User) -> None:
    session.clear()  # a new session id for a new login (no fixation of a pre-login CSRF token)
    session[_UID] = user.id
    session[_VERSION] = _version(user)
    session[_CSRF] = secrets.token_urlsafe(32)


def logout() -> None:
    session.clear()


def session_user() -> User | None:
    uid = session.get(_UID)
    if not isinstance(uid, int):
        return None
    user = db.session.get(User, uid)
    if user is None or not user.is_active or session.get(_VERSION) != _version(user):
        session.clear()
        return None
    return user


def csrf_token() -> str:
    token = session.get(_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_CSRF] = token
    return token


def check_csrf(value: str | None) -> None:
    expected = session.get(_CSRF)
    if not isinstance(expected, str) or not value or not hmac.compare_digest(expected, value):
        raise PermissionDenied(
            f"CSRF token missing or incorrect; send the session's token in the {CSRF_HEADER} header.",
            code="csrf_failed",
        )


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer built once per key instead of on every request
    (every API request opens the session, and building the signer was a twentieth of a cached read)."""

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = app.extensions.get("docshelf.session_signer")
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            app.extensions["docshelf.session_signer"] = cached
        return cached[1]
