"""Build representation and query arguments."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import BoolArg, ExpandMethod, FlexSchema, UTCDateTimeField
from app.models import Build
from app.schemas import BuildRepresentation
from app.services.build_logs import running_output


class BuildSchema(FlexSchema, BuildRepresentation):
    """A build as :mod:`app.schemas` represents it, plus what the API expands on request."""

    config = ExpandMethod("get_config")

    def get_config(self, build: Build) -> dict[str, Any]:
        return build.config or {}


class BuildQueryArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    commit = fields.String()
    running = BoolArg()


class BuildTriggerSchema(Schema):
    """The trigger body is optional; unknown keys are ignored like everywhere else."""

    class Meta:
        unknown = EXCLUDE


class BuildTriggeredSchema(Schema):
    build = fields.Nested(BuildSchema)
    project = fields.Nested("ProjectSchema")
    version = fields.Nested("VersionSchema")
    triggered = fields.Boolean()


class BuildLogArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    offset = fields.Integer(validate=validate.Range(min=0), metadata={
        "description": "Return only the log after this many bytes (the previous `Docshelf-Log-Offset`)."})


class BuildCommandSchema(Schema):
    """One step of a build and its output (Read the Docs' v2 ``commands`` shape)."""

    id = fields.Integer()
    build = fields.Integer(attribute="build_id")
    command = fields.String()
    description = fields.String()
    output = fields.Method("get_output")
    exit_code = fields.Integer(allow_none=True)
    start_time = UTCDateTimeField()
    end_time = UTCDateTimeField(allow_none=True)
    run_time = fields.Method("get_run_time", allow_none=True)

    def get_output(self, command: Any) -> str:
        """Written once when the command ends; while it runs, what its log chunks hold so far."""
        return str(command.output) if command.end_time is not None else running_output(command)

    def get_run_time(self, command: Any) -> float | None:
        if command.end_time is None:
            return None
        return round((command.end_time - command.start_time).total_seconds(), 3)
