"""Subproject relationship representation and the create body."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import FlexNested, FlexSchema, api_url
from app.api.projects.schemas import ProjectSchema
from app.models import ProjectRelationship

#: Aliases end up in served URLs (``/<parent>/projects/<alias>/``): Django's slug alphabet, as on RTD.
ALIAS_PATTERN = r"^[-a-zA-Z0-9_]*$"


class SubprojectSchema(FlexSchema):
    alias = fields.String()
    # The child's own ``subproject_of`` would only repeat the parent this resource already names.
    child = FlexNested(ProjectSchema, exclude=("subproject_of",))
    _links = fields.Method("get_links", data_key="_links")

    def get_links(self, relation: ProjectRelationship) -> dict[str, str]:
        parent = relation.parent.slug
        return {
            "_self": api_url("projects", parent, "subprojects", relation.alias),
            "parent": api_url("projects", parent),
        }


class SubprojectCreateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    child = fields.String(required=True, validate=validate.Length(min=1, max=63))
    # Empty or absent means "the child's slug", as Read the Docs does when it saves the relationship.
    alias = fields.String(
        allow_none=True,
        load_default=None,
        validate=[
            validate.Length(max=255),
            validate.Regexp(
                ALIAS_PATTERN, error="Enter a valid alias: letters, digits, underscores or hyphens."
            ),
        ],
    )
