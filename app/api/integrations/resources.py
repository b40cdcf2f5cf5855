"""/api/v3/projects/<project>/integrations/ — incoming webhooks, maintainers only, even for reads.

Every view asks for a writable project (anonymous → 401, an invisible private project → 404,
anyone else → 403), as environment variables do: the deliveries tell what a project builds and
when, and the secret is shown once, by the create and regenerate_secret responses only.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth
from app.api.base import ApiView, Blueprint, api_url, paginated
from app.api.integrations.schemas import (
    DeliverySchema,
    IntegrationCreateSchema,
    IntegrationSchema,
    IntegrationUpdateSchema,
    IntegrationWithSecretSchema,
)
from app.models import Integration, IntegrationDelivery
from app.services import integrations as service

blp = Blueprint(
    "integrations",
    __name__,
    url_prefix="/api/v3/projects/<project_slug>/integrations",
    description="Incoming webhooks (GitHub, GitLab, generic)",
)


def _integration(project_slug: str, integration_id: int) -> Integration:
    return service.get_integration(auth.writable_project(project_slug), integration_id)


@blp.route("/")
class IntegrationList(ApiView):
    scopes = {"get": "projects:read", "post": "projects:write"}

    @blp.errors(401, 403, 404)
    @paginated(blp, IntegrationSchema)
    def get(self, project_slug: str) -> Any:
        """List a project's incoming webhooks (without their secrets)"""
        return service.integrations_query(auth.writable_project(project_slug))

    @blp.arguments(IntegrationCreateSchema)
    @blp.response(201, IntegrationWithSecretSchema)
    @blp.errors(400, 401, 403, 404)
    def post(self, data: dict[str, Any], project_slug: str) -> Any:
        """Create an incoming webhook; the response is the only one showing its secret"""
        project = auth.writable_project(project_slug)
        integration, secret = service.create_integration(
            project,
            integration_type=data["integration_type"],
            secret=data.get("secret"),
            build_new_versions=data["build_new_versions"],
            status_token=data.get("status_token"),
        )
        integration.secret = secret  # a plain attribute, dumped once: never stored in clear
        location = api_url("projects", project.slug, "integrations", integration.id)
        return integration, 201, {"Location": location}


@blp.route("/<int:integration_id>/")
class IntegrationDetail(ApiView):
    scopes = {"get": "projects:read", "patch": "projects:write", "delete": "projects:write"}

    @blp.response(200, IntegrationSchema)
    @blp.errors(401, 403, 404)
    def get(self, project_slug: str, integration_id: int) -> Integration:
        """Show an incoming webhook (without its secret)"""
        return _integration(project_slug, integration_id)

    @blp.arguments(IntegrationUpdateSchema)
    @blp.response(200, IntegrationSchema)
    @blp.errors(400, 401, 403, 404)
    def patch(self, data: dict[str, Any], project_slug: str, integration_id: int) -> Integration:
        """Update an incoming webhook (build_new_versions, a new write-only secret or status token)"""
        return service.update_integration(_integration(project_slug, integration_id), data)

    @blp.response(204)
    @blp.errors(401, 403, 404)
    def delete(self, project_slug: str, integration_id: int) -> Response:
        """Delete an incoming webhook and its deliveries"""
        service.delete_integration(_integration(project_slug, integration_id))
        return Response(status=204)


@blp.route("/<int:integration_id>/regenerate_secret/")
class IntegrationSecret(ApiView):
    scopes = {"post": "projects:write"}

    @blp.response(200, IntegrationWithSecretSchema)
    @blp.errors(401, 403, 404)
    def post(self, project_slug: str, integration_id: int) -> Integration:
        """Replace the secret with a new random one, shown in this response only"""
        integration = _integration(project_slug, integration_id)
        integration.secret = service.regenerate_secret(integration)
        return integration


@blp.route("/<int:integration_id>/deliveries/")
class DeliveryList(ApiView):
    scopes = {"get": "projects:read"}

    @blp.errors(401, 403, 404)
    @paginated(blp, DeliverySchema)
    def get(self, project_slug: str, integration_id: int) -> Any:
        """List the deliveries an incoming webhook accepted, newest first"""
        return service.deliveries_query(_integration(project_slug, integration_id))


@blp.route("/<int:integration_id>/deliveries/<int:delivery_id>/")
class DeliveryDetail(ApiView):
    scopes = {"get": "projects:read"}

    @blp.response(200, DeliverySchema)
    @blp.errors(401, 403, 404)
    def get(self, project_slug: str, integration_id: int, delivery_id: int) -> IntegrationDelivery:
        """Show one delivery and what it did"""
        return service.get_delivery(_integration(project_slug, integration_id), delivery_id)
