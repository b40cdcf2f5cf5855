"""Invitations to maintain a project: invite, list, accept, decline, withdraw.

Maintainership is consent-based, as on Read the Docs: a maintainer invites a user, and only that
user, by accepting before the invitation expires (``DOCSHELF_INVITATION_TTL``), becomes a
maintainer. Until then the invitee has no access through the invitation and nothing counts
against their quota; the project quota is checked when they accept, since that is when they take
the project on. Answers are compare-and-set updates on the row, so two concurrent accepts (or an
accept racing a decline or a withdrawal) settle on exactly one outcome.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, delete, select, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import selectinload

from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.models import Invitation, Project, User
from app.models.base import utcnow
from app.services import audit, notifications

DEFAULT_TTL = 14 * 24 * 3600


def ttl() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("INVITATION_TTL") or DEFAULT_TTL))


def invitable_user(username: str) -> User:
    """The active account named ``username`` that may maintain projects (400 otherwise)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        message = f"No user {username!r}."
        raise ValidationError(message, errors={"username": [message]})
    if user.role == "viewer":
        message = f"{username!r} is a viewer account; viewers cannot maintain projects."
        raise ValidationError(message, errors={"username": [message]})
    return user


def _open_for(project: Project, user: User) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(
            Invitation.project_id == project.id,
            Invitation.invitee_id == user.id,
            Invitation.state == "pending",
            Invitation.expires > utcnow(),
        )
    )


def invite(project: Project, inviter: User | None, username: str) -> Invitation:
    """Invite a user to maintain ``project``; they gain nothing until they accept."""
    user = invitable_user(username)
    if project.is_maintainer(user):
        raise Conflict(f"{username!r} already maintains this project.")
    if _open_for(project, user) is not None:
        raise Conflict(f"{username!r} already has an open invitation to this project.")
    invitation = Invitation(project=project, invitee=user, inviter=inviter, expires=utcnow() + ttl())
    db.session.add(invitation)
    db.session.flush()
    notifications.invitation_received(invitation)
    audit.record("invitation.sent", actor=inviter, project=project.slug, target=username)
    db.session.commit()
    notifications.email_invitation(invitation)  # sent by a worker (when email is on); never raises
    return invitation


def _with_names(stmt: Select[Invitation]) -> Select[Invitation]:
    """Every representation names the project, invitee and inviter: load them with the page."""
    return stmt.options(
        selectinload(Invitation.project), selectinload(Invitation.invitee), selectinload(Invitation.inviter)
    )


def _state_filter(stmt: Select[Invitation], state: str | None) -> Select[Invitation]:
    now = utcnow()
    if state == "expired":
        return stmt.where(Invitation.state == "pending", Invitation.expires <= now)
    if state == "pending":
        return stmt.where(Invitation.state == "pending", Invitation.expires > now)
    if state:
        return stmt.where(Invitation.state == state)
    return stmt


def project_invitations_query(project: Project, filters: dict[str, Any]) -> Select[Invitation]:
    """A project's invitations, newest first (its maintainers' view)."""
    stmt = select(Invitation).where(Invitation.project_id == project.id)
    stmt = _state_filter(stmt, filters.get("state"))
    return _with_names(stmt).order_by(Invitation.created.desc(), Invitation.id.desc())


def received_query(user: User, filters: dict[str, Any]) -> Select[Invitation]:
    """The invitations addressed to ``user``, newest first (the invitee's inbox)."""
    stmt = _state_filter(select(Invitation).where(Invitation.invitee_id == user.id), filters.get("state"))
    return _with_names(stmt).order_by(Invitation.created.desc(), Invitation.id.desc())


def get_project_invitation(project: Project, invitation_id: int) -> Invitation:
    found = db.session.scalar(project_invitations_query(project, {}).where(Invitation.id == invitation_id))
    if found is None:
        raise NotFound("No invitation matches the given query.")
    return found


def get_received(user: User, invitation_id: int) -> Invitation:
    """Someone else's invitation looks exactly like a missing one: ids are not secrets, but
    whom a project invited is its maintainers' business."""
    found = db.session.scalar(received_query(user, {}).where(Invitation.id == invitation_id))
    if found is None or found.project is None:  # no project: it was deleted between the two SELECTs
        raise NotFound("No invitation matches the given query.")
    return found


def _answer(invitation: Invitation, state: str) -> bool:
    """Move a still-open invitation to ``state`` in one conditional UPDATE; False if it was not open."""
    condition = and_(Invitation.id == invitation.id, Invitation.state == "pending")
    if state == "accepted":  # a decline may still record an answer past the deadline
        condition = and_(condition, Invitation.expires > utcnow())
    result = db.session.execute(
        update(Invitation).where(condition).values(state=state, modified=utcnow()),
        execution_options={"synchronize_session": False},
    )
    try:
        db.session.refresh(invitation)
    except InvalidRequestError:  # revoked (deleted) meanwhile
        raise NotFound("No invitation matches the given query.") from None
    return bool(getattr(result, "rowcount", 0) == 1)


def _not_open(invitation: Invitation) -> Conflict:
    state = invitation.shown_state(utcnow())
    if state == "expired":
        return Conflict(
            "This invitation has expired; ask a maintainer of the project for a new one.",
            code="invitation_expired",
        )
    return Conflict(f"This invitation was already {state}.", code=f"invitation_{state}")


def accept(invitation: Invitation, user: User) -> Invitation:
    """Become a maintainer. Accepting an accepted invitation again changes nothing (idempotent)."""
    if invitation.invitee_id != user.id:  # callers look it up by invitee; this guards other callers
        raise NotFound("No invitation matches the given query.")
    if invitation.state == "accepted":
        return invitation
    if invitation.shown_state(utcnow()) != "pending":
        raise _not_open(invitation)
    if user.role == "viewer":  # the role may have changed since the invitation was sent
        raise PermissionDenied("Viewer accounts cannot maintain projects.")
    project = invitation.project
    if not project.is_maintainer(user):
        from app.services.quotas import check_new_project

        check_new_project(user)
    if not _answer(invitation, "accepted"):
        if invitation.state == "accepted":  # a concurrent accept won: same outcome
            return invitation
        raise _not_open(invitation)
    if not project.is_maintainer(user):
        project.users.append(user)
    notifications.invitation_answered(project.id, user.id)
    audit.record(
        "maintainer.added",
        actor=user,
        project=project.slug,
        target=user.username,
        details={"invitation": invitation.id},
    )
    db.session.commit()
    return invitation


def decline(invitation: Invitation, user: User) -> Invitation:
    """Say no; declining twice changes nothing, and a declined invitation never grants anything."""
    if invitation.invitee_id != user.id:
        raise NotFound("No invitation matches the given query.")
    if invitation.state == "declined":
        return invitation
    if not _answer(invitation, "declined"):
        if invitation.state == "declined":
            return invitation
        raise _not_open(invitation)
    notifications.invitation_answered(invitation.project_id, user.id)
    audit.record("invitation.declined", actor=user, project=invitation.project.slug, target=user.username)
    db.session.commit()
    return invitation


def _delete_unanswered(*conditions: Any) -> bool:
    result = db.session.execute(
        delete(Invitation).where(Invitation.state == "pending", *conditions),
        execution_options={"synchronize_session": False},
    )
    return bool(getattr(result, "rowcount", 0))


def revoke(invitation: Invitation) -> None:
    """A maintainer takes back an unanswered invitation (expired ones too); answered ones stay,
    so the project's maintainers keep seeing who accepted or declined."""
    if invitation.state != "pending" or not _delete_unanswered(Invitation.id == invitation.id):
        state = db.session.scalar(select(Invitation.state).where(Invitation.id == invitation.id))
        hint = "; remove the maintainer instead" if state == "accepted" else ""
        raise Conflict(f"This invitation was already {state}{hint}.")
    notifications.invitation_answered(invitation.project_id, invitation.invitee_id)
    audit.record("invitation.revoked", project=invitation.project.slug, target=invitation.invitee.username)
    db.session.commit()


def revoke_for(project: Project, username: str) -> bool:
    """Revoke ``username``'s unanswered invitations to ``project``; False when there were none.

    Lets ``DELETE /maintainers/<user>/`` undo ``POST /maintainers/`` before the invitee answers.
    """
    invitee_id = db.session.scalar(select(User.id).where(User.username == username))
    if invitee_id is None or not _delete_unanswered(Invitation.project_id == project.id,
                                                    Invitation.invitee_id == invitee_id):
        return False
    notifications.invitation_answered(project.id, invitee_id)
    audit.record("invitation.revoked", project=project.slug, target=username)
    db.session.commit()
    return True
