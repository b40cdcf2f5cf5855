"""Credentials → the current user, and the permission rules every resource shares."""

from __future__ import annotations

from datetime import timedelta

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.crypto import hash_api_key
from app.errors import AuthRequired, NotFound, PermissionDenied
from app.extensions import db
from app.models import ApiToken, Project, User
from app.models.base import utcnow

_KEYWORDS = {"token", "bearer"}
#: ``last_used`` is written at most this often, so reads do not turn into writes.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _credentials() -> str | None:
    header = request.headers.get("Authorization", "")
    if header:
        keyword, _, key = header.strip().partition(" ")
        if keyword.lower() not in _KEYWORDS or not key.strip():
            raise AuthRequired("Invalid token header. Use 'Authorization: Token <key>'.")
        return key.strip()
    return None


def load_user() -> User | None:
    """Authenticate the request once; an invalid token is a 401 even on public routes (as on RTD)."""
    if "current_user" in g:
        return g.current_user
    g.current_user = None
    key = _credentials()
    if key is None:
        return None
    token = db.session.scalar(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.key_hash == hash_api_key(key))
    )
    now = utcnow()
    if token is None or token.revoked or (token.expires is not None and token.expires <= now):
        raise AuthRequired("Invalid token.")
    if not token.user.is_active:
        raise AuthRequired("User inactive or deleted.")
    if token.last_used is None or now - token.last_used > _LAST_USED_RESOLUTION:
        token.last_used = now
        db.session.commit()
    g.current_user = token.user
    g.current_token = token
    return token.user


def current_user() -> User | None:
    return load_user()


def require_user() -> User:
    user = load_user()
    if user is None:
        raise AuthRequired("Authentication credentials were not provided.")
    return user


def can_read(user: User | None, project: Project) -> bool:
    if project.privacy_level == "public":
        return True
    return user is not None and (user.is_admin or project.is_maintainer(user))


def can_write(user: User | None, project: Project) -> bool:
    return user is not None and (user.is_admin or project.is_maintainer(user))


def readable_project(slug: str) -> Project:
    """The project for a read: invisible private projects look exactly like missing ones."""
    user = load_user()
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is None or not can_read(user, project):
        raise NotFound("No Project matches the given query.")
    return project


def writable_project(slug: str) -> Project:
    """Authentication → permission on the project, in Read the Docs' order (401, then 404/403)."""
    user = require_user()
    project = readable_project(slug)
    if not can_write(user, project):
        raise PermissionDenied("You do not have permission to perform this action.")
    return project


def project_for(slug: str, method: str) -> Project:
    return readable_project(slug) if method in ("GET", "HEAD", "OPTIONS") else writable_project(slug)
