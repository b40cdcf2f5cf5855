"""Environment variable representation and request body; the value goes in, never out."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from app.api.base import FlexSchema, UTCDateTimeField, api_url
from app.models import EnvironmentVariable


class EnvironmentVariableSchema(FlexSchema):
    """What is shown: there is deliberately no ``value`` field, so no dump can ever leak it."""

    pk = fields.Integer(attribute="id")
    created = UTCDateTimeField()
    modified = UTCDateTimeField()
    name = fields.String()
    public = fields.Boolean()
    project = fields.Method("get_project")
    _links = fields.Method("get_links", data_key="_links")

    def get_project(self, variable: EnvironmentVariable) -> str:
        return variable.project.slug

    def get_links(self, variable: EnvironmentVariable) -> dict[str, str]:
        slug = variable.project.slug
        return {
            "_self": api_url("projects", slug, "environmentvariables", variable.id),
            "project": api_url("projects", slug),
        }


class EnvironmentVariableCreateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, metadata={"example": "API_TOKEN"})
    value = fields.String(
        required=True, load_only=True, metadata={"description": "Write-only; stored encrypted."}
    )
    public = fields.Boolean(
        load_default=False,
        metadata={"description": "Exposed to pull-request builds too (they may run untrusted code)."},
    )
