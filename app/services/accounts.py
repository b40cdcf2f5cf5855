"""Users: creation, passwords, login. Tokens live in :mod:`app.services.tokens`.

``create_token`` stays importable from here: the CLI and older code create tokens through it, and
those tokens keep full access (``scopes=None``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import ApiToken, User
from app.models.user import ROLES
from app.security import passwords
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
    """Changing the password also ends the user's browser sessions (see app.security.sessions)."""
    _set_password(user, password)
    db.session.commit()


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
