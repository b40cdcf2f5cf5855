"""An upload session as the API shows it, and its manifest body."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import UTCDateTimeField
from app.api.builds.schemas import BuildSchema


class ManifestSchema(Schema):
    """The manifest: every file of the site. Each entry is checked by the service's path rules
    (:mod:`app.services.upload_rules`), which name every offending path in one 400."""

    class Meta:
        unknown = EXCLUDE

    files = fields.List(
        fields.Dict(),
        required=True,
        validate=validate.Length(min=1),
        metadata={
            "description": "Every file of the site: `path` (relative, `/`-separated), `size` (bytes), "
            "`sha256` (lowercase hex).",
            "example": [{"path": "index.html", "size": 1234, "sha256": "9f86d08..."}],
        },
    )


class PublishSchema(Schema):
    class Meta:
        unknown = EXCLUDE


class MissingFileSchema(Schema):
    sha256 = fields.String()
    size = fields.Integer()
    paths = fields.List(fields.String())
    upload_url = fields.String(metadata={"description": "PUT the file's bytes here."})
    upload_to = fields.String(metadata={
        "description": "`docshelf`: send your token (Authorization) and `Content-Type: "
        "application/octet-stream`; `storage`: a presigned object-storage URL, send nothing else."})


class UploadSchema(Schema):
    id = fields.Integer()
    project = fields.String()
    version = fields.String()
    state = fields.String(metadata={"enum": ["open", "publishing", "published"]})
    files = fields.Integer(metadata={"description": "Files the manifest lists."})
    bytes = fields.Integer(metadata={"description": "Their total size."})
    missing_count = fields.Integer(metadata={"description": "Distinct files the server still lacks."})
    missing = fields.List(fields.Nested(MissingFileSchema))
    build = fields.Nested(BuildSchema, allow_none=True)
    created = UTCDateTimeField()
    modified = UTCDateTimeField()
    _links = fields.Dict(data_key="_links")
