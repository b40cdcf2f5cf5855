"""Build representation and query arguments."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import BoolArg, ExpandMethod, FlexSchema, UTCDateTimeField, api_url, site_url
from app.models import Build
from app.models.build import STATE_NAMES
from app.services.build_logs import running_output


class BuildSchema(FlexSchema):
    id = fields.Integer()
    version = fields.String(attribute="version_slug")
    project = fields.Method("get_project")
    created = UTCDateTimeField()
    finished = UTCDateTimeField(allow_none=True)
    duration = fields.Integer(allow_none=True)
    state = fields.Method("get_state")
    success = fields.Boolean(allow_none=True)
    error = fields.String(allow_none=True)
    #: Docshelf's addition (Read the Docs has none): what the build did not do as configured, e.g.
    #: "pdf: ..." when the PDF failed and the HTML was published anyway.
    warnings = fields.Method("get_warnings")
    commit = fields.String(allow_none=True)
    urls = fields.Method("get_urls")
    _links = fields.Method("get_links", data_key="_links")
    config = ExpandMethod("get_config")

    def get_project(self, build: Build) -> str:
        return build.project.slug

    def get_state(self, build: Build) -> dict[str, str]:
        return {"code": build.state, "name": STATE_NAMES[build.state]}

    def get_urls(self, build: Build) -> dict[str, str]:
        p = build.project.slug
        return {
            "build": site_url("projects", p, "builds", build.id),
            "project": site_url("projects", p),
            "version": site_url("projects", p, "versions", build.version_slug),
        }

    def get_links(self, build: Build) -> dict[str, str]:
        p = build.project.slug
        return {
            "_self": api_url("projects", p, "builds", build.id),
            "project": api_url("projects", p),
            "version": api_url("projects", p, "versions", build.version_slug),
            "notifications": api_url("projects", p, "builds", build.id, "notifications"),
        }

    def get_warnings(self, build: Build) -> list[str]:
        return list(build.warnings or [])

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
