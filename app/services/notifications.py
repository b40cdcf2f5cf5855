"""Notifications about a project or a build: the message registry, who creates them, and state changes.

Builds get one when they fail or are cancelled, with a message of its own when a newer build of
the version cancelled them (``finish_build`` adds it in the same transaction as the final state, so
a finished build never lacks its notification), and one while they wait for a free slot of the
project's concurrency limit. A project gets one when its repository cannot be read during a
version sync (cancelled again by the next sync that works) and when a version is deactivated
because its branch or tag vanished. A user gets one when invited to maintain a project (cancelled
once the invitation is answered or withdrawn). Clients read and mark them through
:mod:`app.services.notification_inbox`.

With email on (:mod:`app.services.mail`), a failed build's notification is also emailed to the
project's maintainers, and an invitation to its invitee, rendered here by the worker's email job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import Build, Invitation, Notification, Project, Version
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
BUILD_SUPERSEDED = "build:cancelled:superseded"
BUILD_WAITING = "build:max-concurrency"
SYNC_FAILED = "project:sync:failed"
VERSION_DEACTIVATED = "project:version:deactivated"
INVITATION_RECEIVED = "user:invitation:received"

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
    BUILD_SUPERSEDED: Message(
        "info", "Build {build_id} was cancelled by a newer build",
        "A newer build of the same version was triggered, so this one stopped.",
    ),
    BUILD_WAITING: Message(
        "warning", "Build {build_id} is waiting: concurrency limit reached",
        "The project already runs as many builds as its limit allows ({limit} at once); this build "
        "starts as soon as one of them finishes.",
    ),
    VERSION_DEACTIVATED: Message(
        "warning", "Version {version} was deactivated",
        "Its {ref_type} '{ref}' is no longer in the repository, so the version was deactivated and its "
        "documentation removed. Activate it again once the {ref_type} is back.",
    ),
    INVITATION_RECEIVED: Message(
        "info", "Invitation to maintain {project}",
        "{inviter} invites you to maintain the project {project_name} ({project}). Accept or decline it: "
        "{url}",
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
    """The notification a final state deserves, if any (none for a passing build); a build that
    waited for a slot has started or ended since, so its waiting notice no longer applies."""
    if build.state == "cancelled":
        add_for_build(build, BUILD_SUPERSEDED if _has_newer_build(build) else BUILD_CANCELLED)
    elif build.success is False:
        add_for_build(build, BUILD_FAILED)
    db.session.execute(
        update(Notification)
        .where(Notification.build_id == build.id, Notification.message_id == BUILD_WAITING,
               Notification.state.in_(("unread", "read")))
        .values(state="cancelled")
    )


def _has_newer_build(build: Build) -> bool:
    """A cancelled build with a newer one of its version was superseded by it (``supersede_older``
    cancels queued ones and asks running ones to stop, which then end cancelled by themselves)."""
    if build.version_id is None:
        return False
    newer = select(Build.id).where(Build.version_id == build.version_id, Build.id > build.id).limit(1)
    return db.session.scalar(newer) is not None


def build_waiting(build_id: int, limit: int) -> None:
    """A build found every slot of its project taken: say so once, however often it retries."""
    build = db.session.get(Build, build_id)
    if build is None or build.state != "triggered":
        return
    exists = db.session.scalar(select(Notification.id).where(
        Notification.build_id == build_id, Notification.message_id == BUILD_WAITING).limit(1))
    if exists is None:
        db.session.add(Notification(project_id=build.project_id, build_id=build_id, message_id=BUILD_WAITING,
                                    format_values={"build_id": build_id, "limit": limit}))
        db.session.commit()


def version_deactivated(project: Project, version: Version) -> None:
    """A version lost its branch or tag and was deactivated (in the caller's transaction)."""
    db.session.add(Notification(
        project_id=project.id, message_id=VERSION_DEACTIVATED,
        format_values={"version": version.slug, "ref": version.verbose_name,
                       "ref_type": "tag" if version.type == "tag" else "branch"},
    ))


def invitation_received(invitation: Invitation) -> None:
    """The invitee learns of it in their notifications too (in the caller's transaction, flushed:
    the message links to the invitation)."""
    project, inviter = invitation.project, invitation.inviter
    db.session.add(Notification(
        project_id=project.id, user_id=invitation.invitee_id, message_id=INVITATION_RECEIVED,
        format_values={"project": project.slug, "project_name": project.name,
                       "inviter": inviter.username if inviter is not None else "An administrator",
                       "url": api_url("invitations", invitation.id)},
    ))


def invitation_answered(project_id: int, user_id: int) -> None:
    """Accepted, declined or withdrawn: the invitee's open notice about it is cancelled (the caller
    commits). One invitation is open per project and user, so the pair names it."""
    db.session.execute(
        update(Notification)
        .where(Notification.project_id == project_id, Notification.user_id == user_id,
               Notification.message_id == INVITATION_RECEIVED, Notification.state.in_(("unread", "read")))
        .values(state="cancelled")
    )


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
