"""Integration, delivery and webhook-response representations; the secret goes in, and comes out once."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import FlexSchema, UTCDateTimeField, api_url, public_base
from app.models import Integration, IntegrationDelivery
from app.models.integration import INTEGRATION_TYPES

#: Read the Docs' receiving URLs, so a hook pointed at readthedocs.org only needs a new host.
_WEBHOOK_PATHS = {
    "github_webhook": "api/v2/webhook/github/{slug}/{id}/",
    "gitlab_webhook": "api/v2/webhook/gitlab/{slug}/{id}/",
    "generic_api_incoming": "api/v2/webhook/{slug}/{id}/",
}


def webhook_url(integration: Integration) -> str:
    path = _WEBHOOK_PATHS[integration.integration_type]
    return f"{public_base()}/" + path.format(slug=integration.project.slug, id=integration.id)


class IntegrationSchema(FlexSchema):
    """What is shown: no ``secret`` field, so no dump after creation can leak it."""

    id = fields.Integer()
    integration_type = fields.String(metadata={"enum": list(INTEGRATION_TYPES)})
    build_new_versions = fields.Boolean()
    status_token_set = fields.Method(
        "get_status_token_set",
        metadata={"description": "Whether pull-request builds report commit statuses with a token."},
    )
    url = fields.Method("get_url", metadata={"description": "Paste this into GitHub/GitLab/your CI."})
    created = UTCDateTimeField()
    modified = UTCDateTimeField()
    _links = fields.Method("get_links", data_key="_links")

    def get_status_token_set(self, integration: Integration) -> bool:
        return bool(integration.status_token_encrypted)

    def get_url(self, integration: Integration) -> str:
        return webhook_url(integration)

    def get_links(self, integration: Integration) -> dict[str, str]:
        slug = integration.project.slug
        return {
            "_self": api_url("projects", slug, "integrations", integration.id),
            "project": api_url("projects", slug),
            "deliveries": api_url("projects", slug, "integrations", integration.id, "deliveries"),
        }


class IntegrationWithSecretSchema(IntegrationSchema):
    """Creation and secret regeneration only: the one time the secret is shown."""

    secret = fields.String(metadata={"description": "Shown only now; store it in the sender's settings."})


class IntegrationCreateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    integration_type = fields.String(required=True, validate=validate.OneOf(INTEGRATION_TYPES))
    secret = fields.String(
        load_only=True,
        metadata={"description": "Write-only, 32-255 characters, stored encrypted; generated when left out."},
    )
    build_new_versions = fields.Boolean(
        load_default=False,
        metadata={"description": "A branch/tag first seen in a delivery becomes an active, built version."},
    )
    status_token = fields.String(
        load_only=True,
        metadata={"description": "Write-only forge API token (GitHub: commit statuses write; GitLab: api) "
                  "pull-request builds report commit statuses with; stored encrypted; empty clears it."},
    )


class IntegrationUpdateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    secret = fields.String(
        load_only=True, metadata={"description": "Write-only, 32 to 255 characters; never returned."}
    )
    build_new_versions = fields.Boolean()
    status_token = fields.String(
        load_only=True,
        metadata={"description": "Write-only forge API token (GitHub: commit statuses write; GitLab: api) "
                  "pull-request builds report commit statuses with; stored encrypted; empty clears it."},
    )


class DeliverySchema(FlexSchema):
    id = fields.Integer()
    delivery_id = fields.String(allow_none=True, metadata={"description": "The sender's id for it."})
    event = fields.String()
    received = UTCDateTimeField()
    http_status = fields.Integer(
        attribute="status_code", allow_none=True, metadata={"description": "null while processing."}
    )
    outcome = fields.Dict(metadata={"description": "The response body sent back (what was built, and why)."})
    _links = fields.Method("get_links", data_key="_links")

    def get_links(self, delivery: IntegrationDelivery) -> dict[str, str]:
        integration = delivery.integration
        parts = ("projects", integration.project.slug, "integrations", integration.id)
        return {"_self": api_url(*parts, "deliveries", delivery.id), "integration": api_url(*parts)}


class WebhookResponseSchema(Schema):
    """Read the Docs' webhook answer, plus what Docshelf did besides building."""

    build_triggered = fields.Boolean()
    project = fields.String()
    versions = fields.List(fields.String(), metadata={"description": "Slugs of the versions being built."})
    versions_created = fields.List(fields.String())
    versions_deactivated = fields.List(fields.String())
    detail = fields.String()
    delivery = fields.Integer(
        metadata={"description": "Id of this delivery in the integration's deliveries."}
    )


class GenericWebhookSchema(Schema):
    """Documents the generic webhook's body (JSON or form-encoded); the view reads it itself."""

    token = fields.String(required=True, metadata={"description": "The integration's secret."})
    branches = fields.Raw(metadata={"description": "A branch/tag name or a list of them; default: latest."})
    default_branch = fields.String()
