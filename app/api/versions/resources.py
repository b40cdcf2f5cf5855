"""/api/v3/projects/<project>/versions/"""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth
from app.api import rendering
from app.api.base import ApiView, Blueprint, expanded, paginated
from app.api.conditional import State, conditional, conditional_page
from app.api.pagination import page_args
from app.api.versions.schemas import VersionQueryArgsSchema, VersionSchema, VersionUpdateSchema
from app.models import Version
from app.services import validators
from app.services import versions as service

blp = Blueprint(
    "versions",
    __name__,
    url_prefix="/api/v3/projects/<project_slug>/versions",
    description="Versions: a project's branches and tags",
)
#: The representation's expandable paths (VersionSchema, and the build it embeds).
VERSION_EXPAND = ("last_build", "last_build.config")


def version_state(project_slug: str, version_slug: str) -> State | None:
    return validators.version(project_slug, version_slug, auth.current_principal(), expanded("last_build"),
                              expanded("last_build.config"))


def version_page_state(stmt: Any) -> State:
    return validators.version_page(stmt, *page_args(), expanded("last_build"), expanded("last_build.config"))


@blp.route("/")
class VersionList(ApiView):
    scopes = {"get": "projects:read"}
    anonymous = cached = ("get",)
    expand = VERSION_EXPAND

    @blp.arguments(VersionQueryArgsSchema, location="query")
    @blp.errors(404)
    @paginated(blp, VersionSchema)
    @conditional_page(version_page_state, render=rendering.version_page)
    def get(self, args: dict[str, Any], project_slug: str) -> Any:
        """List a project's versions"""
        project = auth.readable_project(project_slug)
        return service.versions_query(project, auth.current_principal(), args, expanded("last_build"))


@blp.route("/<version_slug>/")
class VersionDetail(ApiView):
    scopes = {"get": "projects:read", "patch": "projects:write", "put": "projects:write"}
    anonymous = cached = ("get",)
    expand = VERSION_EXPAND

    @conditional(version_state, render=rendering.version)
    @blp.response(200, VersionSchema)
    @blp.errors(404)
    def get(self, project_slug: str, version_slug: str) -> Version:
        """Show a version"""
        project = auth.readable_project(project_slug)
        return service.get_version(project, auth.current_principal(), version_slug)

    @conditional(version_state)
    @blp.arguments(VersionUpdateSchema)
    @blp.response(204)
    @blp.errors(400, 401, 403, 404)
    def patch(self, data: dict[str, Any], project_slug: str, version_slug: str) -> Response:
        """Update a version (active, hidden, privacy level)"""
        return _update(data, project_slug, version_slug)

    @conditional(version_state)
    @blp.arguments(VersionUpdateSchema)
    @blp.response(204)
    @blp.errors(400, 401, 403, 404)
    def put(self, data: dict[str, Any], project_slug: str, version_slug: str) -> Response:
        """Update a version"""
        return _update(data, project_slug, version_slug)


def _update(data: dict[str, Any], project_slug: str, version_slug: str) -> Response:
    project = auth.writable_project(project_slug)
    version = service.get_version(project, auth.current_principal(), version_slug)
    service.update_version(version, data, auth.current_user())
    return Response(status=204)
