"""/api/v3/projects/<project>/webhooks/ — maintainers only, reads included.

A webhook's URL and its deliveries (bodies, receivers' answers) are as sensitive as its secret, so
every view asks for a writable project: anonymous → 401, an invisible private project → 404,
anyone else → 403. The secret is shown in the create response only.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth
from app.api.base import ApiView, Blueprint, api_url, paginated
from app.api.webhooks.schemas import (
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookDeliverySchema,
    WebhookSchema,
    WebhookUpdateSchema,
)
from app.models import Webhook
from app.services import webhooks as service

blp = Blueprint(
    "outgoing_webhooks",
    __name__,
    url_prefix="/api/v3/projects/<project_slug>/webhooks",
    description="Outgoing build webhooks (build:triggered, build:passed, build:failed)",
)


@blp.route("/")
class WebhookList(ApiView):
    scopes = {"get": "projects:read", "post": "projects:write"}

    @blp.errors(401, 403, 404)
    @paginated(blp, WebhookSchema)
    def get(self, project_slug: str) -> Any:
        """List a project's webhooks (without their secrets)"""
        return service.webhooks_query(auth.writable_project(project_slug))

    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, WebhookCreatedSchema)
    @blp.errors(400, 401, 403, 404)
    def post(self, data: dict[str, Any], project_slug: str) -> Any:
        """Create a webhook (the response is the only one that shows the secret)"""
        project = auth.writable_project(project_slug)
        webhook = service.create_webhook(project, data)
        return webhook, 201, {"Location": api_url("projects", project.slug, "webhooks", webhook.id)}


@blp.route("/<int:webhook_id>/")
class WebhookDetail(ApiView):
    scopes = {"get": "projects:read", "patch": "projects:write", "delete": "projects:write"}

    @blp.response(200, WebhookSchema)
    @blp.errors(401, 403, 404)
    def get(self, project_slug: str, webhook_id: int) -> Webhook:
        """Show a webhook (without its secret)"""
        return service.get_webhook(auth.writable_project(project_slug), webhook_id)

    @blp.arguments(WebhookUpdateSchema)
    @blp.response(200, WebhookSchema)
    @blp.errors(400, 401, 403, 404)
    def patch(self, data: dict[str, Any], project_slug: str, webhook_id: int) -> Webhook:
        """Update a webhook (partial; a new secret is accepted but not shown)"""
        webhook = service.get_webhook(auth.writable_project(project_slug), webhook_id)
        return service.update_webhook(webhook, data)

    @blp.response(204)
    @blp.errors(401, 403, 404)
    def delete(self, project_slug: str, webhook_id: int) -> Response:
        """Delete a webhook and its delivery history"""
        service.delete_webhook(service.get_webhook(auth.writable_project(project_slug), webhook_id))
        return Response(status=204)


@blp.route("/<int:webhook_id>/deliveries/")
class WebhookDeliveryList(ApiView):
    scopes = {"get": "projects:read"}

    @blp.errors(401, 403, 404)
    @paginated(blp, WebhookDeliverySchema)
    def get(self, project_slug: str, webhook_id: int) -> Any:
        """List a webhook's deliveries, newest first"""
        webhook = service.get_webhook(auth.writable_project(project_slug), webhook_id)
        return service.deliveries_query(webhook)
