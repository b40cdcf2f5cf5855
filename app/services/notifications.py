"""Notifications about a project or a build: the message registry, who creates them, and state changes.

Builds get one when they fail or are cancelled (``finish_build`` and ``cancel_triggered`` add it in
the same transaction as the final state, so a finished build never lacks its notification); a
project gets one when its repository cannot be read during a version sync, cancelled again by the
next sync that works. Clients read them through ``/api/v3/projects/<p>/notifications/`` and
``/builds/<id>/notifications/`` and mark them read or dismissed.

With email on (:mod:`app.services.mail`), a failed build's notification is also emailed to the
project's maintainers, and an invitation to its invitee, rendered here by the worker's email job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Build, Invitation, Notification, Project
from app.services import mail
from app.urls import api_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One kind of notification; ``header`` and ``body`` are formatted with the row's values."""

    type: str  # error, warning, info, note, tip (Read the Docs' set)
    header: str
    body: str
    dismissable: bool = True


BUILD_FAILED = "build:failed"
BUILD_CANCELLED = "build:cancelled"
SYNC_FAILED = "project:sync:failed"

MESSAGES: dict[str, Message] = {
    BUILD_FAILED: Message("error", "Build {build_id} failed", "{error}", dismissable=False),
    BUILD_CANCELLED: Message("info", "Build {build_id} was cancelled", "{error}"),
    SYNC_FAILED: Message(
        "error",
        "Docshelf could not read the repository",
        "Branches and tags were not updated: {error} Check the repository URL and that it is reachable; "
        "the next sync that works clears this notification.",
        dismissable=False,
    ),
}
_ICONS = {
    "error": "fa-solid fa-circle-exclamation",
    "warning": "fa-solid fa-triangle-exclamation",
    "info": "fa-solid fa-circle-info",
    "note": "fa-solid fa-note-sticky",
    "tip": "fa-solid fa-lightbulb",
}
#: States a client may set; ``cancelled`` belongs to Docshelf (the condition went away).
CLIENT_STATES = ("unread", "read", "dismissed")


def render(notification: Notification) -> dict[str, str]:
    """The ``message`` object of the API: id, rendered header and body, type and icon classes."""
    message = MESSAGES.get(notification.message_id) or Message("info", notification.message_id, "")
    values: dict[str, Any] = {"error": "", **(notification.format_values or {})}
    return {
        "id": notification.message_id,
        "header": message.header.format(**values),
        "body": message.body.format(**values).strip(),
        "type": message.type,
        "icon_classes": _ICONS.get(message.type, ""),
    }


def add_for_build(build: Build, message_id: str) -> None:
    """Attach a notification to a build in the caller's transaction (the caller commits)."""
    message = MESSAGES[message_id]
    db.session.add(Notification(project_id=build.project_id, build_id=build.id, message_id=message_id,
                                dismissable=message.dismissable,
                                format_values={"build_id": build.id, "error": build.error or ""}))


def build_finished(build: Build) -> None:
    """The notification a final state deserves, if any (none for a passing build)."""
    if build.state == "cancelled":
        add_for_build(build, BUILD_CANCELLED)
    elif build.success is False:
        add_for_build(build, BUILD_FAILED)


def sync_failed(project_id: int, error: str) -> None:
    """Record an unreadable repository once: an unread notification is refreshed, not duplicated."""
    current = db.session.scalar(
        select(Notification).where(Notification.project_id == project_id, Notification.build_id.is_(None),
                                   Notification.message_id == SYNC_FAILED, Notification.state == "unread")
    )
    if current is None:
        db.session.add(Notification(project_id=project_id, message_id=SYNC_FAILED, dismissable=False,
                                    format_values={"error": error}))
    else:
        current.format_values = {"error": error}
    db.session.commit()


def sync_succeeded(project_id: int) -> None:
    """The repository is readable again: its open sync-failure notifications no longer apply."""
    db.session.execute(
        update(Notification)
        .where(Notification.project_id == project_id, Notification.build_id.is_(None),
               Notification.message_id == SYNC_FAILED, Notification.state.in_(("unread", "read")))
        .values(state="cancelled")
    )
    db.session.commit()


def notifications_query(project: Project, build: Build | None, filters: dict[str, Any]) -> Select[Any]:
    """Project-level notifications (no build), or one build's; newest first."""
    stmt = select(Notification).where(Notification.project_id == project.id)
    if build is None:
        stmt = stmt.where(Notification.build_id.is_(None))
    else:
        stmt = stmt.where(Notification.build_id == build.id)
    if filters.get("state"):
        stmt = stmt.where(Notification.state == filters["state"])
    return stmt.order_by(Notification.created.desc(), Notification.id.desc())


def get_notification(project: Project, build: Build | None, notification_id: int) -> Notification:
    found = db.session.scalar(
        notifications_query(project, build, {}).where(Notification.id == notification_id)
    )
    if found is None:
        raise NotFound("No notification with that id here.")
    return found


def set_state(notification: Notification, state: str) -> Notification:
    """A client marks a notification read, unread or dismissed (only dismissable ones)."""
    if state == "dismissed" and not notification.dismissable:
        raise ValidationError(
            "This notification cannot be dismissed: it goes away when its cause is fixed.",
            errors={"state": ["This notification is not dismissable."]},
        )
    if notification.state == "cancelled":
        raise ValidationError(
            "This notification was cancelled by Docshelf (its cause went away); its state is final.",
            errors={"state": ["A cancelled notification cannot change state."]},
        )
    notification.state = state
    db.session.commit()
    return notification


# -- email ------------------------------------------------------------------------------------------

def email_build_finished(build: Build) -> None:
    """After the final state's commit: a failed build (not a cancelled one) is emailed about."""
    if not mail.enabled():
        return
    try:
        if build.state != "finished" or build.success is not False:
            return
        notification_id = db.session.scalar(select(Notification.id).where(
            Notification.build_id == build.id, Notification.message_id == BUILD_FAILED))
    except SQLAlchemyError:  # the build has ended whatever happens here; the email is the lesser loss
        log.warning("no email for build %s: its notification could not be read", build.id, exc_info=True)
        db.session.rollback()
        return
    if notification_id is not None:
        mail.queue_email(mail.NOTIFICATION, notification_id)


def email_invitation(invitation: Invitation) -> None:
    """After the invitation's commit: tell the invitee where to answer it."""
    mail.queue_email(mail.INVITATION, invitation.id)


def notification_email(notification_id: int) -> EmailMessage | None:
    """The email of a notification, to the project's maintainers, with links to the build and its log;
    None when the row is gone or nobody has an address."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.state == "cancelled":
        return None
    project = notification.project
    to = mail.addresses(list(project.users))
    if not to:
        return None
    message = render(notification)
    lines = [message["header"] + ".", "", message["body"] or "(no details)", ""]
    build = notification.build
    if build is not None:
        commit = f", commit {build.commit[:12]}" if build.commit else ""
        lines[1:1] = [f"Project {project.slug}, version {build.version_slug}{commit}."]
        build_url = api_url("projects", project.slug, "builds", build.id)
        lines += [f"The build: {build_url}", f"Its log: {build_url}log.txt", ""]
    lines.append(f"Notifications of {project.slug}: {api_url('projects', project.slug, 'notifications')}")
    return mail.compose(to, f"[{project.slug}] {message['header']}", "\n".join(lines))


def invitation_email(invitation_id: int) -> EmailMessage | None:
    """An open invitation, to its invitee, with the page where it is accepted or declined."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.state != "pending" or invitation.project is None:
        return None
    to = mail.addresses([invitation.invitee])
    if not to:
        return None
    project = invitation.project
    inviter = invitation.inviter.username if invitation.inviter is not None else "An administrator"
    body = "\n".join([
        f"{inviter} invites you to maintain the project {project.name} ({project.slug}) on Docshelf.",
        "",
        f"Accept or decline it here, signed in as {invitation.invitee.username}: "
        f"{api_url('invitations', invitation.id)}",
        f"The invitation expires on {invitation.expires:%Y-%m-%d %H:%M} UTC.",
    ])
    return mail.compose(to, f"Invitation to maintain {project.name} on Docshelf", body)


#: The email job's renderers by kind (``workers.mail``).
EMAILS = {mail.NOTIFICATION: notification_email, mail.INVITATION: invitation_email}
