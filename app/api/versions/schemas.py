"""Version representation, query arguments and update body."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import BoolArg, ExpandNested, FlexSchema
from app.api.builds.schemas import BuildSchema
from app.models.project import PRIVACY_LEVELS
from app.models.version import VERSION_TYPES
from app.schemas import VersionRepresentation


class VersionSchema(FlexSchema, VersionRepresentation):
    """A version as :mod:`app.schemas` represents it, plus what the API expands on request."""

    last_build = ExpandNested(BuildSchema, allow_none=True)


class VersionQueryArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    active = BoolArg()
    built = BoolArg()
    hidden = BoolArg()
    slug = fields.String()
    verbose_name = fields.String()
    type = fields.String(validate=validate.OneOf(VERSION_TYPES))
    privacy_level = fields.String(validate=validate.OneOf(PRIVACY_LEVELS))


class VersionUpdateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    active = fields.Boolean()
    hidden = fields.Boolean()
    privacy_level = fields.String(validate=validate.OneOf(PRIVACY_LEVELS))
