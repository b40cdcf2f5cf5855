"""Who shares a project: maintainers (read and write, many per project) and read grants.

A read grant lets a named user see a private project and its private versions; it never allows a
write. A project always keeps at least one maintainer, and viewers (read-only accounts) cannot be
made maintainers. Nobody becomes a maintainer without consenting: adding one sends an invitation
(:mod:`app.services.invitations`) that only the invitee can accept.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.models import Project, ProjectReadGrant, User
from app.services import audit, invitations


def _user(username: str, field: str = "username") -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        message = f"No user {username!r}."
        raise ValidationError(message, errors={field: [message]})
    return user


def maintainers(project: Project) -> list[User]:
    return list(project.users)


def get_maintainer(project: Project, username: str) -> User:
    for user in project.users:
        if user.username == username:
            return user
    raise NotFound("No maintainer matches the given query.")


def remove_maintainer(project: Project, username: str) -> None:
    """Remove a maintainer, or take back the unanswered invitation of a user who is not one yet."""
    try:
        user = get_maintainer(project, username)
    except NotFound:
        if invitations.revoke_for(project, username):
            return
        raise
    if len(project.users) <= 1:
        raise Conflict("A project keeps at least one maintainer; add another one first.")
    project.users.remove(user)
    audit.record("maintainer.removed", project=project.slug, target=username)
    db.session.commit()


def grants_query(project: Project) -> Select[ProjectReadGrant]:
    return (
        select(ProjectReadGrant)
        .join(ProjectReadGrant.user)
        .where(ProjectReadGrant.project_id == project.id)
        .order_by(User.username)
    )


def get_grant(project: Project, username: str) -> ProjectReadGrant:
    grant = db.session.scalar(grants_query(project).where(User.username == username))
    if grant is None:
        raise NotFound("No read grant matches the given query.")
    return grant


def add_grant(project: Project, username: str) -> ProjectReadGrant:
    user = _user(username)
    if db.session.scalar(grants_query(project).where(ProjectReadGrant.user_id == user.id)) is not None:
        raise Conflict(f"{username!r} can already read this project.")
    grant = ProjectReadGrant(project=project, user=user)
    db.session.add(grant)
    audit.record("grant.added", project=project.slug, target=username)
    db.session.commit()  # the unique (project, user) constraint settles a race (IntegrityError → 409)
    return grant


def remove_grant(project: Project, username: str) -> None:
    grant = get_grant(project, username)
    db.session.delete(grant)
    audit.record("grant.removed", project=project.slug, target=username)
    db.session.commit()
