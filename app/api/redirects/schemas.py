"""Redirect representation and request bodies.

The bodies only check shapes (types); the rules (types, wildcards, limits) live in
``app.services.redirects`` so the CLI and jobs obey them too.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from app.api.base import FlexSchema, UTCDateTimeField, api_url
from app.models import Redirect
from app.models.redirect import REDIRECT_TYPES
from app.services.redirects import DEFAULT_HTTP_STATUS, HTTP_STATUSES


class RedirectSchema(FlexSchema):
    pk = fields.Integer(attribute="id")
    created = UTCDateTimeField()
    modified = UTCDateTimeField()
    project = fields.Method("get_project")
    type = fields.String()
    from_url = fields.Method("get_from_url")
    to_url = fields.Method("get_to_url")
    force = fields.Boolean()
    enabled = fields.Boolean()
    description = fields.String()
    http_status = fields.Integer()
    position = fields.Integer()
    _links = fields.Method("get_links", data_key="_links")

    def get_project(self, redirect: Redirect) -> str:
        return redirect.project.slug

    # Read the Docs serves the unused URLs of the html/clean-URL types as null, not "".
    def get_from_url(self, redirect: Redirect) -> str | None:
        return redirect.from_url or None

    def get_to_url(self, redirect: Redirect) -> str | None:
        return redirect.to_url or None

    def get_links(self, redirect: Redirect) -> dict[str, str]:
        slug = redirect.project.slug
        return {
            "_self": api_url("projects", slug, "redirects", redirect.id),
            "project": api_url("projects", slug),
        }


class RedirectCreateSchema(Schema):
    """POST and PUT body: ``type`` is required; PUT keeps the current value of any field left out."""

    class Meta:
        unknown = EXCLUDE

    type = fields.String(required=True, metadata={"enum": list(REDIRECT_TYPES)})
    # null is accepted because GET serves the unused URLs as null and clients PUT back what they read.
    from_url = fields.String(allow_none=True, metadata={"example": "/old/*"})
    to_url = fields.String(allow_none=True, metadata={"example": "/new/:splat"})
    force = fields.Boolean()
    enabled = fields.Boolean()
    description = fields.String(allow_none=True)
    http_status = fields.Integer(metadata={"enum": list(HTTP_STATUSES), "default": DEFAULT_HTTP_STATUS})
    position = fields.Integer(
        metadata={"description": "0 is the top (the default on create); clamped to the list's end."}
    )


class RedirectUpdateSchema(RedirectCreateSchema):
    """PATCH body: every field optional."""

    type = fields.String(metadata={"enum": list(REDIRECT_TYPES)})
