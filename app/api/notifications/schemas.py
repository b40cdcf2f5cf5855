"""Notification representation (Read the Docs' shape), the state-change body and the list filter."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import FlexSchema, UTCDateTimeField, api_url
from app.models import Notification
from app.models.notification import NOTIFICATION_STATES
from app.services import notifications as service


class NotificationSchema(FlexSchema):
    id = fields.Integer()
    state = fields.String(metadata={"enum": list(NOTIFICATION_STATES)})
    dismissable = fields.Boolean()
    news = fields.Boolean()
    attached_to_content_type = fields.String(attribute="attached_to",
                                             metadata={"enum": ["project", "build", "user"]})
    attached_to_id = fields.Method("get_attached_to_id")
    message = fields.Method("get_message")
    created = UTCDateTimeField()
    modified = UTCDateTimeField()
    _links = fields.Method("get_links", data_key="_links")

    def get_attached_to_id(self, notification: Notification) -> int:
        if notification.user_id is not None:
            return notification.user_id
        return notification.build_id if notification.build_id is not None else notification.project_id

    def get_message(self, notification: Notification) -> dict[str, str]:
        return service.render(notification)

    def get_links(self, notification: Notification) -> dict[str, str]:
        project = notification.project.slug
        if notification.user is not None:
            return {"_self": api_url("users", notification.user.username, "notifications", notification.id),
                    "project": api_url("projects", project)}
        if notification.build_id is None:
            return {"_self": api_url("projects", project, "notifications", notification.id),
                    "project": api_url("projects", project)}
        return {
            "_self": api_url("projects", project, "builds", notification.build_id, "notifications",
                             notification.id),
            "build": api_url("projects", project, "builds", notification.build_id),
            "project": api_url("projects", project),
        }


class NotificationUpdateSchema(Schema):
    state = fields.String(required=True, validate=validate.OneOf(service.CLIENT_STATES))


class NotificationQueryArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(validate=validate.OneOf(NOTIFICATION_STATES))
