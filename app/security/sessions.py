"""Browser sessions (Flask's signed cookie naming a server-side session row) and their CSRF token.

The cookie holds the user id, a fingerprint of the password hash and the random key of a
:class:`~app.models.UserSession` row. The row is what makes the session valid: logout deletes it,
so a copied cookie stops working at once (a signed cookie alone stays valid until it expires); a
password change or ``docshelf users end-sessions`` deletes all of a user's rows. CSRF is a
per-session random token that unsafe requests must echo (``X-CSRF-Token`` header for the API,
``csrf_token`` field for forms); it is only needed when the session is what authenticates the
request, since tokens are not sent by browsers on their own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from flask import Flask, Request, Response, current_app, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

from app.errors import PermissionDenied
from app.models import User, UserSession
from app.services import accounts

_UID, _VERSION, _CSRF, _KEY = "uid", "sv", "csrf", "sid"
CSRF_HEADER = "X-CSRF-Token"


def _version(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.password_hash or ''}".encode()).hexdigest()[:16]


def login(user: User) -> None:
    session.clear()  # a new session for a new login (no fixation of a pre-login CSRF token)
    session[_KEY] = accounts.start_session(user)
    session[_UID] = user.id
    session[_VERSION] = _version(user)
    session[_CSRF] = secrets.token_urlsafe(32)


def logout() -> None:
    """End this session on the server too, not only in this browser."""
    key = session.get(_KEY)
    if isinstance(key, str):
        accounts.end_session(key)
    session.clear()


def current_session() -> UserSession | None:
    """The live server-side session this request's cookie names, else None (and the cookie is cleared)."""
    uid, key = session.get(_UID), session.get(_KEY)
    if not isinstance(uid, int):
        return None  # not signed in (an anonymous session may still hold the login form's CSRF token)
    max_age = int(current_app.config["SESSION_LIFETIME"])
    row = accounts.find_session(key, max_age) if isinstance(key, str) else None
    if (
        row is None
        or row.user_id != uid
        or not row.user.is_active
        or session.get(_VERSION) != _version(row.user)
    ):
        session.clear()  # ended on the server, or a cookie from before server-side sessions
        return None
    return row


def session_user() -> User | None:
    row = current_session()
    return row.user if row is not None else None


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
    (every API request opens the session, and building the signer was a twentieth of a cached read),
    and no work for a request that neither sent a cookie nor touched the session: most API traffic
    (tokens) would otherwise pay for a session it never uses."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        if "HTTP_COOKIE" not in request.environ:  # (``request.cookies`` would build every header first)
            return self.session_class()  # what Flask answers for a missing cookie, without a signer
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified and not session.accessed:
            return  # Flask would work out the cookie's seven settings and then do nothing
        super().save_session(app, session, response)

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = app.extensions.get("docshelf.session_signer")
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            app.extensions["docshelf.session_signer"] = cached
        return cached[1]
