"""Notifications: a project's, a build's, a user's, and the caller's inbox (Read the Docs' four lists).

Anyone who can read the project reads its notifications (a failed build's error is already public
on the build); marking one read or dismissed is a maintainer's write like any other. A user's
notifications are that person's alone: another user's list looks like a missing one (an
administrator may read it); ``/notifications/`` is the caller's own plus their projects'.
"""

from __future__ import annotations

from typing import Any

from app import auth
from app.api.base import ApiView, Blueprint, paginated
from app.api.notifications.schemas import (
    NotificationQueryArgsSchema,
    NotificationSchema,
    NotificationUpdateSchema,
)
from app.errors import NotFound
from app.extensions import db
from app.models import Build, Notification, Project, User
from app.services import builds as build_service
from app.services import notification_inbox as service

blp = Blueprint(
    "notifications", __name__, url_prefix="/api/v3/projects/<project_slug>",
    description="Notifications about a project and its builds",
)
inbox_blp = Blueprint(
    "notification_inbox", __name__, url_prefix="/api/v3",
    description="Your notifications: those addressed to you and those of the projects you maintain",
)


def _target(project: Project, build_id: int | None) -> Build | None:
    return None if build_id is None else build_service.get_build(project, build_id)


@blp.route("/notifications/", defaults={"build_id": None}, endpoint="ProjectNotifications")
@blp.route("/builds/<int:build_id>/notifications/", endpoint="BuildNotifications")
class NotificationList(ApiView):
    scopes = {"get": "projects:read"}
    anonymous = ("get",)

    @blp.arguments(NotificationQueryArgsSchema, location="query")
    @blp.errors(400, 404)
    @paginated(blp, NotificationSchema)
    def get(self, filters: dict[str, Any], project_slug: str, build_id: int | None) -> Any:
        """List notifications, newest first (``?state=unread`` for the open ones)"""
        project = auth.readable_project(project_slug)
        return service.notifications_query(project, _target(project, build_id), filters)


@blp.route("/notifications/<int:notification_id>/", defaults={"build_id": None},
           endpoint="ProjectNotification")
@blp.route("/builds/<int:build_id>/notifications/<int:notification_id>/", endpoint="BuildNotification")
class NotificationDetail(ApiView):
    scopes = {"get": "projects:read", "patch": "projects:write"}
    anonymous = ("get",)

    @blp.response(200, NotificationSchema)
    @blp.errors(404)
    def get(self, project_slug: str, build_id: int | None, notification_id: int) -> Notification:
        """Show a notification"""
        project = auth.readable_project(project_slug)
        return service.get_notification(project, _target(project, build_id), notification_id)

    @blp.arguments(NotificationUpdateSchema)
    @blp.response(200, NotificationSchema)
    @blp.errors(400, 401, 403, 404)
    def patch(self, data: dict[str, Any], project_slug: str, build_id: int | None,
              notification_id: int) -> Notification:
        """Mark a notification read, unread or dismissed"""
        project = auth.writable_project(project_slug)
        notification = service.get_notification(project, _target(project, build_id), notification_id)
        return service.set_state(notification, data["state"])


@inbox_blp.route("/notifications/")
class Inbox(ApiView):
    scopes = {"get": "projects:read"}

    @inbox_blp.arguments(NotificationQueryArgsSchema, location="query")
    @inbox_blp.errors(400, 401)
    @paginated(inbox_blp, NotificationSchema)
    def get(self, filters: dict[str, Any]) -> Any:
        """List your notifications and your projects' ones, newest first"""
        return service.inbox_query(auth.require_principal(), filters)


def _addressee(username: str, write: bool) -> User:
    """The user whose notifications these are: the caller, or (reading only) for an administrator
    anyone; any other name is answered as if it did not exist."""
    caller = auth.require_user()
    if caller.username == username:
        return caller
    user = db.session.scalar(db.select(User).where(User.username == username)) if caller.is_admin else None
    if user is None or write:
        raise NotFound("No notifications of that user here.")
    return user


@inbox_blp.route("/users/<username>/notifications/")
class UserNotificationList(ApiView):
    scopes = {"get": "projects:read"}

    @inbox_blp.arguments(NotificationQueryArgsSchema, location="query")
    @inbox_blp.errors(400, 401, 404)
    @paginated(inbox_blp, NotificationSchema)
    def get(self, filters: dict[str, Any], username: str) -> Any:
        """List the notifications addressed to a user (yourself), newest first"""
        return service.user_notifications_query(_addressee(username, write=False), filters)


@inbox_blp.route("/users/<username>/notifications/<int:notification_id>/")
class UserNotificationDetail(ApiView):
    scopes = {"get": "projects:read", "patch": "projects:write"}

    @inbox_blp.response(200, NotificationSchema)
    @inbox_blp.errors(401, 404)
    def get(self, username: str, notification_id: int) -> Notification:
        """Show a notification addressed to you"""
        return service.get_user_notification(_addressee(username, write=False), notification_id)

    @inbox_blp.arguments(NotificationUpdateSchema)
    @inbox_blp.response(200, NotificationSchema)
    @inbox_blp.errors(400, 401, 403, 404)
    def patch(self, data: dict[str, Any], username: str, notification_id: int) -> Notification:
        """Mark a notification addressed to you read, unread or dismissed"""
        notification = service.get_user_notification(_addressee(username, write=True), notification_id)
        return service.set_state(notification, data["state"])
