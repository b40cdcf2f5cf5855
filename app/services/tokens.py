"""API tokens: many per user, named, shown once, stored as a SHA-256 hash, optionally scoped, expiring
and restricted to some projects. Builds get their own short-lived token that dies with the build.

A token can only mint tokens no stronger than itself (scopes and projects are subsets of its own),
so a leaked narrow token cannot be widened through the tokens API.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, select, update

from app.crypto import hash_api_key, new_api_key
from app.errors import NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.models import ApiToken, Build, Project, User
from app.models.base import utcnow
from app.security.scopes import SCOPES, expand
from app.services import audit

MAX_NAME = 100


def _validate_scopes(scopes: list[str] | None) -> list[str] | None:
    if scopes is None:
        return None
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        message = f"Unknown scope(s): {', '.join(unknown)}; use {', '.join(SCOPES)}."
        raise ValidationError(message, errors={"scopes": [message]})
    if not scopes:
        raise ValidationError("Give at least one scope.", errors={"scopes": ["Give at least one scope."]})
    return sorted(set(scopes))


def resolve_projects(user: User, slugs: list[str] | None) -> list[int] | None:
    """Project slugs → ids; each must be a project the user maintains (or any, for an admin)."""
    if slugs is None:
        return None
    if not slugs:
        raise ValidationError(
            "Give at least one project.", errors={"projects": ["Give at least one project."]}
        )
    projects = db.session.scalars(select(Project).where(Project.slug.in_(set(slugs)))).all()
    found = {p.slug: p for p in projects if user.is_admin or p.is_maintainer(user)}
    missing = sorted(set(slugs) - set(found))
    if missing:
        message = f"No project you maintain has the slug(s): {', '.join(missing)}."
        raise ValidationError(message, errors={"projects": [message]})
    return sorted(p.id for p in found.values())


def check_not_wider(parent: ApiToken | None, scopes: list[str] | None, project_ids: list[int] | None) -> None:
    """A token cannot create a token with more scopes or more projects than it has itself."""
    if parent is None:
        return
    if parent.scopes is not None and (scopes is None or not set(scopes) <= expand(parent.scopes)):
        raise PermissionDenied("A token can only create tokens with a subset of its own scopes.")
    if parent.project_ids is not None and (
        project_ids is None or not set(project_ids) <= set(parent.project_ids)
    ):
        raise PermissionDenied(
            "A token restricted to some projects can only create tokens restricted to them."
        )


def create_token(
    user: User,
    name: str = "",
    *,
    scopes: list[str] | None = None,
    expires: datetime | None = None,
    project_ids: list[int] | None = None,
    build_id: int | None = None,
    parent: ApiToken | None = None,
    audited: bool = True,
) -> tuple[ApiToken, str]:
    """Return the stored token and the clear key, which is shown once and never stored."""
    scopes = _validate_scopes(scopes)
    if len(name) > MAX_NAME:
        raise ValidationError(f"Name is longer than {MAX_NAME} characters.", errors={"name": ["Too long."]})
    if expires is not None and expires <= utcnow():
        raise ValidationError("The expiry is in the past.", errors={"expires": ["Must be in the future."]})
    check_not_wider(parent, scopes, project_ids)
    key = new_api_key()
    token = ApiToken(
        user=user,
        name=name,
        prefix=key[:12],
        key_hash=hash_api_key(key),
        scopes=scopes,
        expires=expires,
        project_ids=project_ids,
        build_id=build_id,
    )
    db.session.add(token)
    if audited:
        details: dict[str, Any] = {"name": name, "scopes": scopes, "project_ids": project_ids}
        audit.record("token.created", target=f"{token.prefix}… ({user.username})", details=details)
    db.session.commit()
    return token, key


def tokens_query(user: User) -> Select[ApiToken]:
    """Your own tokens, builds' tokens left out (they are the system's, not yours to manage)."""
    return (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.build_id.is_(None))
        .order_by(ApiToken.id.desc())
    )


def get_token(user: User, token_id: int) -> ApiToken:
    token = db.session.scalar(tokens_query(user).where(ApiToken.id == token_id))
    if token is None:
        raise NotFound("No token matches the given query.")
    return token


def revoke_token(token: ApiToken) -> None:
    if not token.revoked:
        token.revoked = True
        audit.record(
            "token.revoked", target=f"{token.prefix}… ({token.user.username})", details={"id": token.id}
        )
    db.session.commit()


def project_names(token: ApiToken) -> list[str] | None:
    if token.project_ids is None:
        return None
    return list(
        db.session.scalars(
            select(Project.slug).where(Project.id.in_(token.project_ids)).order_by(Project.slug)
        )
    )


def create_build_token(build: Build, user: User | None = None) -> str:
    """A token for one build: read scopes, its project only, expiring with the build's timeout.

    ``user`` defaults to the project's first maintainer; the token can do no more than read the
    project and its builds. It stops working as soon as the build is final (see ``app.auth``).
    """
    project = db.session.get(Project, build.project_id)
    if project is None:
        raise NotFound("No Project matches the given query.")
    owner = user or (project.users[0] if project.users else None)
    if owner is None:
        raise ValidationError("The project has no maintainer to issue a build token for.")
    timeout = project.build_timeout or current_app.config.get("BUILD_TIMEOUT", 900)
    _token, key = create_token(
        owner,
        f"build {build.id}",
        scopes=["projects:read", "builds:read"],
        expires=utcnow() + timedelta(seconds=int(timeout) + 300),
        project_ids=[project.id],
        build_id=build.id,
        audited=False,
    )
    return key


def revoke_build_tokens(build_id: int) -> int:
    """Called when a build ends; returns how many tokens were revoked."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.build_id == build_id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
