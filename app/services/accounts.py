"""Users: creation, passwords, login and browser sessions. Tokens live in :mod:`app.services.tokens`.

A browser session is a row (:class:`UserSession`) the signed cookie names by a random key, so it
can be ended from the server: logout ends one, a password change or an administrator's
``docshelf users end-sessions`` ends them all. Session rows are written quietly (``quiet_write``):
no cached answer shows them, since requests carrying a session cookie are never cached.

``create_token`` stays importable from here: the CLI and older code create tokens through it, and
those tokens keep full access (``scopes=None``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import joinedload

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.freshness import quiet_write
from app.models import ApiToken, User, UserSession
from app.models.base import utcnow
from app.models.user import ROLES
from app.safety import passwords
from app.services import audit
from app.services import tokens as token_service


def create_user(
    username: str, *, email: str | None = None, role: str = "user", password: str | None = None
) -> User:
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"User {username!r} already exists.")
    user = User(username=username, email=email, role=role)
    if password is not None:
        _set_password(user, password)
    db.session.add(user)
    db.session.commit()
    return user


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return user


def _set_password(user: User, password: str) -> None:
    if not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
        raise ValidationError(
            f"A password has {passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters.",
            errors={"password": ["Wrong length."]},
        )
    user.password_hash = passwords.hash_password(password)


def set_password(user: User, password: str) -> None:
    """Changing the password also ends every browser session of the user (a thief's included)."""
    _set_password(user, password)
    end_sessions(user, commit=False)
    db.session.commit()


def _session_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(user: User) -> str:
    """A new session row for ``user``; returns the random key the cookie carries (only its hash is kept)."""
    key = secrets.token_urlsafe(32)
    row = {"key_hash": _session_hash(key), "user_id": user.id, "created": utcnow()}
    db.session.execute(quiet_write(insert(UserSession).values(**row)))
    db.session.commit()
    return key


def find_session(key: str, max_age: int) -> UserSession | None:
    """The live session a cookie's key names (with its user loaded), None once it ended or is older
    than ``max_age`` seconds (a copied cookie stops working then, whatever the browser keeps)."""
    stmt = select(UserSession).options(joinedload(UserSession.user))
    return db.session.scalar(stmt.where(UserSession.key_hash == _session_hash(key),
                                        UserSession.created > utcnow() - timedelta(seconds=max_age)))


def purge_sessions(max_age: int) -> int:
    """Delete the rows of sessions past ``max_age`` (browsers that never logged out); returns how many."""
    result = db.session.execute(quiet_write(delete(UserSession).where(
        UserSession.created <= utcnow() - timedelta(seconds=max_age))))
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def end_session(key: str) -> None:
    """Logout: the cookie's session ends on the server, so a copy of the cookie is worth nothing."""
    db.session.execute(quiet_write(delete(UserSession).where(UserSession.key_hash == _session_hash(key))))
    db.session.commit()


def end_sessions(user: User, *, commit: bool = True) -> int:
    """End every browser session of ``user`` (audited when there were any); returns how many."""
    result = db.session.execute(quiet_write(delete(UserSession).where(UserSession.user_id == user.id)))
    ended = int(getattr(result, "rowcount", 0) or 0)
    if ended:
        audit.record("sessions.ended", target=user.username, details={"count": ended})
    if commit:
        db.session.commit()
    return ended


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, else None (and an audit event either way)."""
    user = db.session.scalar(select(User).where(User.username == username))
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        audit.record("login.failed", actor=username[:150], commit=True)
        return None
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    audit.record("login.succeeded", actor=user, commit=True)
    return user


def create_token(
    user: User, name: str = "", *, scopes: list[str] | None = None, expires: datetime | None = None
) -> tuple[ApiToken, str]:
    """Return the stored token and the clear key, which is shown once and never stored."""
    return token_service.create_token(user, name, scopes=scopes, expires=expires)
