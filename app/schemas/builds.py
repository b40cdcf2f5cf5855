"""How a build looks in JSON (Read the Docs' v3 build)."""

from __future__ import annotations

from marshmallow import Schema, fields

from app.models import Build
from app.models.build import STATE_NAMES
from app.schemas.fields import UTCDateTimeField
from app.urls import api_url, site_url


class BuildRepresentation(Schema):
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
    #: Docshelf's addition: the pull/merge request's page for a build of one (its number is ``version``).
    external_url = fields.String(allow_none=True)
    #: Docshelf's addition: ``build`` (built from the repository) or ``upload`` (docs built elsewhere and
    #: published through ``.../versions/<v>/uploads/``).
    kind = fields.String()
    urls = fields.Method("get_urls")
    _links = fields.Method("get_links", data_key="_links")

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
