"""/api/v3/projects/<project>/notifications/ and /api/v3/projects/<project>/builds/<id>/notifications/

Anyone who can read the project reads its notifications (a failed build's error is already public
on the build); marking one read or dismissed is a maintainer's write like any other.
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
from app.models import Build, Notification, Project
from app.services import builds as build_service
from app.services import notifications as service

blp = Blueprint(
    "notifications", __name__, url_prefix="/api/v3/projects/<project_slug>",
    description="Notifications about a project and its builds",
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
