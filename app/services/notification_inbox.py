"""Reading notifications and changing their state: the lists the API answers and who sees which.

Three lists, as on Read the Docs: a project's (``/projects/<p>/notifications/``, the project-level
ones), a build's (``/projects/<p>/builds/<id>/notifications/``) and a user's
(``/users/<name>/notifications/``, those addressed to that person: invitations). The caller's
inbox (``/notifications/``) joins the user's own with the project-level notifications of the
projects they maintain (within the credential's reach), as Read the Docs joins a user's and their
projects' ones; build notifications stay on their builds, which can be many.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Build, Notification, Project, User
from app.models.project import project_maintainers
from app.policy import Principal, reach_filter


def _listed(stmt: Select[Any], filters: dict[str, Any]) -> Select[Any]:
    """Newest first, with what each item's links need loaded with the page (no query per item)."""
    if filters.get("state"):
        stmt = stmt.where(Notification.state == filters["state"])
    return stmt.options(selectinload(Notification.project), selectinload(Notification.user)).order_by(
        Notification.created.desc(), Notification.id.desc()
    )


def notifications_query(project: Project, build: Build | None, filters: dict[str, Any]) -> Select[Any]:
    """Project-level notifications (no build, no user), or one build's; newest first."""
    stmt = select(Notification).where(Notification.project_id == project.id, Notification.user_id.is_(None))
    if build is None:
        stmt = stmt.where(Notification.build_id.is_(None))
    else:
        stmt = stmt.where(Notification.build_id == build.id)
    return _listed(stmt, filters)


def user_notifications_query(user: User, filters: dict[str, Any]) -> Select[Any]:
    """The notifications addressed to ``user``."""
    return _listed(select(Notification).where(Notification.user_id == user.id), filters)


def inbox_query(principal: Principal, filters: dict[str, Any]) -> Select[Any]:
    """``GET /notifications/``: the caller's own, and those of the projects they maintain."""
    user = principal.user
    user_id = user.id if user is not None else None
    maintained = (
        select(Project.id)
        .join(project_maintainers, project_maintainers.c.project_id == Project.id)
        .where(project_maintainers.c.user_id == user_id, reach_filter(principal))
    )
    project_level = (Notification.user_id.is_(None) & Notification.build_id.is_(None)
                     & Notification.project_id.in_(maintained))
    return _listed(select(Notification).where(or_(Notification.user_id == user_id, project_level)), filters)


def _one(stmt: Select[Any], notification_id: int) -> Notification:
    found = db.session.scalar(stmt.where(Notification.id == notification_id))
    if found is None:
        raise NotFound("No notification with that id here.")
    return found


def get_notification(project: Project, build: Build | None, notification_id: int) -> Notification:
    return _one(notifications_query(project, build, {}), notification_id)


def get_user_notification(user: User, notification_id: int) -> Notification:
    return _one(user_notifications_query(user, {}), notification_id)


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
