"""Webhook and delivery representations and request bodies.

The bodies only check shapes; the rules (URL/SSRF, events, template) live in ``app.services.webhooks``.
The secret is write-only: :class:`WebhookCreatedSchema` adds it to the create response only.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields

from app.api.base import FlexSchema, UTCDateTimeField, api_url
from app.models import Webhook, WebhookDelivery
from app.models.webhook import DELIVERY_STATES, WEBHOOK_EVENTS


def _webhook_url(webhook: Webhook, *rest: object) -> str:
    return api_url("projects", webhook.project.slug, "webhooks", webhook.id, *rest)


class WebhookSchema(FlexSchema):
    """What is shown on every read; deliberately without the secret."""

    id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String(metadata={"enum": list(WEBHOOK_EVENTS)}))
    payload = fields.String(allow_none=True)
    active = fields.Boolean()
    created = UTCDateTimeField()
    modified = UTCDateTimeField()
    _links = fields.Method("get_links", data_key="_links")

    def get_links(self, webhook: Webhook) -> dict[str, str]:
        return {
            "_self": _webhook_url(webhook),
            "project": api_url("projects", webhook.project.slug),
            "deliveries": _webhook_url(webhook, "deliveries"),
        }


class WebhookCreatedSchema(WebhookSchema):
    """The create response: the only time the secret is shown (it is stored encrypted)."""

    secret = fields.String(
        attribute="clear_secret", metadata={"description": "Shown once; sign-check deliveries with it."}
    )


class WebhookCreateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    url = fields.String(required=True, metadata={"example": "https://ci.example.com/docs-hook"})
    events = fields.List(
        fields.String(metadata={"enum": list(WEBHOOK_EVENTS)}),
        required=True,
        metadata={"example": ["build:passed", "build:failed"]},
    )
    payload = fields.String(
        allow_none=True,
        metadata={"description": "Template with {{ build.id }}-style variables; empty sends the default."},
    )
    secret = fields.String(
        load_only=True,
        metadata={"description": "Write-only HMAC secret, 32 to 255 characters; generated when left out."},
    )
    active = fields.Boolean(load_default=True)


class WebhookUpdateSchema(WebhookCreateSchema):
    """PATCH body: every field optional."""

    url = fields.String()
    events = fields.List(fields.String(metadata={"enum": list(WEBHOOK_EVENTS)}))
    active = fields.Boolean()


class WebhookDeliverySchema(FlexSchema):
    id = fields.Integer()
    event = fields.String()
    build = fields.Integer(attribute="build_id", allow_none=True)
    state = fields.String(metadata={"enum": list(DELIVERY_STATES)})
    attempts = fields.Integer()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    request_body = fields.String(metadata={"description": "The exact body sent (and signed)."})
    response_body = fields.String(allow_none=True, metadata={"description": "The answer's first bytes."})
    created = UTCDateTimeField()
    last_attempt = UTCDateTimeField(allow_none=True)
    delivered = UTCDateTimeField(allow_none=True)
    _links = fields.Method("get_links", data_key="_links")

    def get_links(self, delivery: WebhookDelivery) -> dict[str, Any]:
        slug = delivery.webhook.project.slug
        build = delivery.build_id
        return {
            "webhook": _webhook_url(delivery.webhook),
            "build": api_url("projects", slug, "builds", build) if build is not None else None,
        }
