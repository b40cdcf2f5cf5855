"""API tokens: many per user, named, shown once, stored as a SHA-256 hash, optionally scoped, expiring
and restricted to some projects. Builds get their own short-lived bot token that dies with the build.

Everything a token creates is narrower than itself: scopes, projects and lifetime (:func:`widening`),
so a leaked narrow token cannot be widened through the tokens API. A token sees and revokes only the
tokens it could have created, and revoking a token revokes the tokens it created. A build's token
belongs to no user at all (``user_id`` is None): it reads its own project and can manage nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update

from app import locks
from app.crypto import hash_api_key, new_api_key
from app.errors import AuthRequired, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.models import ApiToken, Build, Project, User
from app.models.base import utcnow
from app.policy.scopes import SCOPES, expand
from app.services import audit, queueing

#: All a build's token may do: read its own project and builds.
BUILD_SCOPES = ["builds:read", "projects:read"]
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


def widening(
    parent: ApiToken, scopes: list[str] | None, project_ids: list[int] | None, expires: datetime | None
) -> str | None:
    """Why a token with these limits would be wider than ``parent`` (None when it is not wider).

    ``None`` scopes, projects or expiry mean "all" and "never", so they are wider than any limit.
    """
    if parent.user_id is None:
        return "A build's token cannot create or manage tokens."
    if parent.scopes is not None and (scopes is None or not set(scopes) <= expand(parent.scopes)):
        return "A token can only create tokens with a subset of its own scopes."
    if parent.project_ids is not None and (
        project_ids is None or not set(project_ids) <= set(parent.project_ids)
    ):
        return "A token restricted to some projects can only create tokens restricted to them."
    if parent.expires is not None and (expires is None or expires > parent.expires):
        return (
            "A token that expires can only create tokens that expire no later than it does "
            f"({parent.expires.isoformat()})."
        )
    return None


def check_not_wider(
    parent: ApiToken | None,
    scopes: list[str] | None,
    project_ids: list[int] | None,
    expires: datetime | None = None,
) -> None:
    """403 when the new token would be wider than the token creating it (a session has no limits)."""
    reason = widening(parent, scopes, project_ids, expires) if parent is not None else None
    if reason is not None:
        raise PermissionDenied(reason)


def create_token(
    user: User | None,
    name: str = "",
    *,
    scopes: list[str] | None = None,
    expires: datetime | None = None,
    project_ids: list[int] | None = None,
    build_id: int | None = None,
    parent: ApiToken | None = None,
    audited: bool = True,
) -> tuple[ApiToken, str]:
    """Return the stored token and the clear key, which is shown once and never stored.

    ``user`` is None only for a build's token (``build_id``): a bot that acts for no one.
    """
    if user is None and build_id is None:
        raise ValueError("a token without a user must be a build's token")
    scopes = _validate_scopes(scopes)
    if len(name) > MAX_NAME:
        raise ValidationError(f"Name is longer than {MAX_NAME} characters.", errors={"name": ["Too long."]})
    if expires is not None and expires <= utcnow():
        raise ValidationError("The expiry is in the past.", errors={"expires": ["Must be in the future."]})
    if parent is not None and parent.user_id != (user.id if user is not None else None):
        raise PermissionDenied("A token can only create tokens for its own user.")
    check_not_wider(parent, scopes, project_ids, expires)
    if parent is not None:
        # Under the parent's row lock, which revoke_token takes too: a revocation either sees this child
        # among the parent's children or happened first, and then the parent cannot create it.
        locks.lock_rows(ApiToken, [parent.id])
        db.session.refresh(parent, ["revoked"])
        if parent.revoked:
            db.session.rollback()
            raise AuthRequired("Invalid token.")
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
        parent_id=parent.id if parent is not None else None,
    )
    db.session.add(token)
    if audited:
        details: dict[str, Any] = {"name": name, "scopes": scopes, "project_ids": project_ids}
        audit.record("token.created", target=_target(token), details=details)
    db.session.commit()
    return token, key


def _target(token: ApiToken) -> str:
    owner = token.user.username if token.user is not None else f"build {token.build_id}"
    return f"{token.prefix}… ({owner})"


def tokens_query(user: User, within: ApiToken | None = None) -> Select[ApiToken]:
    """The tokens a caller manages: a user's own, builds' tokens left out (they are the system's).

    ``within``: the token making the request; it sees only tokens no wider than itself (those it
    could have created), so a narrow token cannot list or revoke a wider one.
    """
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.build_id.is_(None))
        .order_by(ApiToken.id.desc())
    )
    if within is None or widening(within, None, None, None) is None:
        return stmt  # a session, or a token without limits: everything of the user's
    visible = [
        token.id
        for token in db.session.scalars(stmt)
        if widening(within, token.scopes, token.project_ids, token.expires) is None
    ]
    return stmt.where(ApiToken.id.in_(visible))


def get_token(user: User, token_id: int, within: ApiToken | None = None) -> ApiToken:
    token = db.session.scalar(tokens_query(user, within).where(ApiToken.id == token_id))
    if token is None:
        raise NotFound("No token matches the given query.")
    return token


def revoke_token(token: ApiToken) -> None:
    """Revoke a token and every token created from it, however deep (a leak's offspring go with it)."""
    pending, seen = [token], set()
    while pending:
        current = pending.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        locks.lock_rows(ApiToken, [current.id])  # no child can be created from it past this point
        if not current.revoked:
            current.revoked = True
            audit.record("token.revoked", target=_target(current), details={"id": current.id})
        pending.extend(db.session.scalars(select(ApiToken).where(ApiToken.parent_id == current.id)))
    db.session.commit()


def project_names(token: ApiToken) -> list[str] | None:
    if token.project_ids is None:
        return None
    return list(
        db.session.scalars(
            select(Project.slug).where(Project.id.in_(token.project_ids)).order_by(Project.slug)
        )
    )


def create_build_token(build: Build) -> str:
    """A bot token for one build: read scopes, its project only, expiring with the build's timeout.

    It belongs to no user (a maintainer's identity would lend the build that person's powers, an
    administrator's included) and stops working as soon as the build is final (see
    :mod:`app.security.principal`), besides being revoked by ``finish_build``.
    """
    project = db.session.get(Project, build.project_id)
    if project is None:
        raise NotFound("No Project matches the given query.")
    _token, key = create_token(
        None,
        f"build {build.id}",
        scopes=list(BUILD_SCOPES),
        expires=utcnow() + timedelta(seconds=queueing.build_lifetime(project)),
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
