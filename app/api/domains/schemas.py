"""Custom domain representation and request bodies (Read the Docs' ``domain``, ``canonical``,
``https``); the rules on names live in :mod:`app.services.domains`."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from app.api.base import FlexSchema, UTCDateTimeField, api_url
from app.models import Domain


class DomainSchema(FlexSchema):
    domain = fields.String()
    canonical = fields.Boolean()
    https = fields.Boolean()
    created = UTCDateTimeField()
    modified = UTCDateTimeField()
    _links = fields.Method("get_links", data_key="_links")

    def get_links(self, domain: Domain) -> dict[str, str]:
        slug = domain.project.slug
        return {
            "_self": api_url("projects", slug, "domains", domain.domain),
            "project": api_url("projects", slug),
        }


class DomainCreateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    domain = fields.String(required=True, metadata={"example": "docs.example.com"})
    canonical = fields.Boolean(
        load_default=False,
        metadata={"description": "Where the project's docs URLs point; at most one domain per project."},
    )
    https = fields.Boolean(
        load_default=True, metadata={"description": "Docs URLs on this domain use https (TLS at the proxy)."}
    )


class DomainUpdateSchema(Schema):
    """PATCH body: the name is the resource's key, so only the flags change."""

    class Meta:
        unknown = EXCLUDE

    canonical = fields.Boolean()
    https = fields.Boolean()
