"""Maintainer and read-grant representations and the body that names a user."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import FlexSchema, UTCDateTimeField, api_url
from app.models import ProjectReadGrant, User


class UsernameSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    username = fields.String(required=True, validate=validate.Length(min=1, max=150))


class MaintainerSchema(FlexSchema):
    username = fields.String()
    role = fields.String()
    _links = fields.Method("get_links", data_key="_links", metadata={"type": "object"})

    def get_links(self, user: User) -> dict[str, str]:
        slug = self.context_project_slug()
        return {
            "_self": api_url("projects", slug, "maintainers", user.username),
            "project": api_url("projects", slug),
        }

    def context_project_slug(self) -> str:
        from flask import request

        return str((request.view_args or {}).get("project_slug", ""))


class GrantSchema(FlexSchema):
    username = fields.Function(lambda grant: grant.user.username, metadata={"type": "string"})
    created = UTCDateTimeField()
    _links = fields.Method("get_links", data_key="_links", metadata={"type": "object"})

    def get_links(self, grant: ProjectReadGrant) -> dict[str, str]:
        slug = grant.project.slug
        return {
            "_self": api_url("projects", slug, "grants", grant.user.username),
            "project": api_url("projects", slug),
        }
