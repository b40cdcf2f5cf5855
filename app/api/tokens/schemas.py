"""API token representation and request body; the key itself is shown once, in the create response."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import FlexSchema, UTCDateTimeField, api_url
from app.models import ApiToken
from app.security.scopes import SCOPES
from app.services.tokens import project_names


class TokenSchema(FlexSchema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "First characters of the key, to tell tokens apart."})
    scopes = fields.List(
        fields.String(), allow_none=True, metadata={"description": "null: full access (a legacy token)."}
    )
    projects = fields.Method(
        "get_projects",
        metadata={"type": "array", "items": {"type": "string"}, "nullable": True},
    )
    created = UTCDateTimeField()
    expires = UTCDateTimeField(allow_none=True)
    last_used = UTCDateTimeField(allow_none=True)
    revoked = fields.Boolean()
    _links = fields.Method("get_links", data_key="_links", metadata={"type": "object"})

    def get_projects(self, token: ApiToken) -> list[str] | None:
        return project_names(token)

    def get_links(self, token: ApiToken) -> dict[str, str]:
        return {"_self": api_url("tokens", token.id)}


class TokenCreatedSchema(TokenSchema):
    token = fields.String(metadata={"description": "The key: shown only in this response, store it now."})


class TokenCreateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(SCOPES)),
        metadata={"example": ["projects:read", "builds:trigger"]},
    )
    expires = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        default_timezone=None,
        metadata={"description": "ISO-8601 with offset."},
    )
    projects = fields.List(
        fields.String(validate=validate.Length(min=1, max=63)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Restrict the token to these project slugs (ones you maintain)."},
    )
