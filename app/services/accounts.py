"""Users and API tokens: created by the CLI now, by the accounts API later."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.crypto import hash_api_key, new_api_key
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import ApiToken, User
from app.models.user import ROLES


def create_user(username: str, *, email: str | None = None, role: str = "user") -> User:
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"User {username!r} already exists.")
    user = User(username=username, email=email, role=role)
    db.session.add(user)
    db.session.commit()
    return user


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return user


def create_token(
    user: User, name: str = "", *, scopes: list[str] | None = None, expires: datetime | None = None
) -> tuple[ApiToken, str]:
    """Return the stored token and the clear key, which is shown once and never stored."""
    key = new_api_key()
    token = ApiToken(
        user=user, name=name, prefix=key[:12], key_hash=hash_api_key(key), scopes=scopes, expires=expires
    )
    db.session.add(token)
    db.session.commit()
    return token, key
