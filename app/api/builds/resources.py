"""/api/v3/projects/<project>/builds/ and the version-scoped builds, including the trigger."""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth
from app.api import rendering
from app.api.base import ApiView, Blueprint, expanded, paginated
from app.api.builds.schemas import (
    BuildCommandSchema,
    BuildLogArgsSchema,
    BuildQueryArgsSchema,
    BuildSchema,
    BuildTriggeredSchema,
    BuildTriggerSchema,
)
from app.api.conditional import State, conditional, conditional_page
from app.api.pagination import page_args
from app.api.projects.resources import PROJECT_EXPAND, load_project
from app.api.versions.resources import VERSION_EXPAND
from app.models import Build
from app.services import build_control as control
from app.services import build_logs as logs
from app.services import builds as service
from app.services import validators
from app.services import versions as version_service

blp = Blueprint("builds", __name__, url_prefix="/api/v3/projects/<project_slug>", description="Builds")
BUILD_EXPAND = ("config",)


def build_state(project_slug: str, build_id: int, version_slug: str | None = None) -> State | None:
    principal = auth.current_principal()
    return validators.build(project_slug, build_id, principal, expanded("config"), version_slug)


def build_page_state(stmt: Any) -> State:
    return validators.build_page(stmt, *page_args(), expanded("config"))


@blp.route("/builds/")
class BuildList(ApiView):
    scopes = {"get": "builds:read"}
    anonymous = cached = ("get",)
    expand = BUILD_EXPAND

    @blp.arguments(BuildQueryArgsSchema, location="query")
    @blp.errors(404)
    @paginated(blp, BuildSchema)
    @conditional_page(build_page_state, render=rendering.build_page)
    def get(self, args: dict[str, Any], project_slug: str) -> Any:
        """List a project's builds, newest first"""
        return service.builds_query(auth.readable_project(project_slug), args)


@blp.route("/builds/<int:build_id>/")
class BuildDetail(ApiView):
    scopes = {"get": "builds:read"}
    anonymous = cached = ("get",)
    expand = BUILD_EXPAND

    @conditional(build_state, render=rendering.build)
    @blp.response(200, BuildSchema)
    @blp.errors(404)
    def get(self, project_slug: str, build_id: int) -> Build:
        """Show a build"""
        return service.get_build(auth.readable_project(project_slug), build_id)


@blp.route("/versions/<version_slug>/builds/")
class VersionBuildList(ApiView):
    scopes = {"get": "builds:read", "post": "builds:trigger"}
    anonymous = cached = ("get",)
    build_trigger = ("post",)
    # the trigger answers with the build, its project and its version
    expand = BUILD_EXPAND + PROJECT_EXPAND + VERSION_EXPAND

    @blp.arguments(BuildQueryArgsSchema, location="query")
    @blp.errors(404)
    @paginated(blp, BuildSchema)
    @conditional_page(build_page_state, render=rendering.build_page)
    def get(self, args: dict[str, Any], project_slug: str, version_slug: str) -> Any:
        """List a version's builds, newest first"""
        project = auth.readable_project(project_slug)
        version = version_service.get_version(project, auth.current_principal(), version_slug)
        return service.builds_query(project, args, version)

    @blp.arguments(BuildTriggerSchema)
    @blp.response(202, BuildTriggeredSchema)
    @blp.alt_response(400, description="The version cannot be built (body has triggered: false)")
    @blp.errors(401, 403, 404)
    @blp.alt_response(503, description="The build queue is unavailable")
    def post(self, _body: dict[str, Any], project_slug: str, version_slug: str) -> Any:
        """Trigger a build of a version"""
        project = auth.writable_project(project_slug)
        version = version_service.get_version(project, auth.current_principal(), version_slug)
        build = service.trigger_build(project, version, auth.current_user())
        return {
            "build": build,
            "project": load_project(project_slug),
            "version": version,
            "triggered": True,
        }, 202


@blp.route("/versions/<version_slug>/builds/<int:build_id>/")
class VersionBuildDetail(ApiView):
    scopes = {"get": "builds:read"}
    anonymous = cached = ("get",)
    expand = BUILD_EXPAND

    @conditional(build_state, render=rendering.build)
    @blp.response(200, BuildSchema)
    @blp.errors(404)
    def get(self, project_slug: str, version_slug: str, build_id: int) -> Build:
        """Show a build of a version"""
        project = auth.readable_project(project_slug)
        version = version_service.get_version(project, auth.current_principal(), version_slug)
        return service.get_build(project, build_id, version)


@blp.route("/builds/<int:build_id>/cancel/")
class BuildCancel(ApiView):
    scopes = {"post": "builds:trigger"}
    expand = BUILD_EXPAND

    @blp.arguments(BuildTriggerSchema)
    @blp.response(202, BuildSchema)
    @blp.errors(401, 403, 404)
    @blp.alt_response(409, description="The build has already finished")
    def post(self, _body: dict[str, Any], project_slug: str, build_id: int) -> Any:
        """Cancel a build: a queued one never starts, a running one stops within seconds"""
        build = service.get_build(auth.writable_project(project_slug), build_id)
        return control.cancel_build(build), 202


@blp.route("/builds/<int:build_id>/commands/")
class BuildCommandList(ApiView):
    scopes = {"get": "builds:read"}
    anonymous = ("get",)

    @blp.errors(404)
    @paginated(blp, BuildCommandSchema)
    def get(self, project_slug: str, build_id: int) -> Any:
        """List a build's commands with their output, in the order they ran"""
        return service.commands_query(service.get_build(auth.readable_project(project_slug), build_id))


@blp.route("/builds/<int:build_id>/log.txt")
class BuildLog(ApiView):
    scopes = {"get": "builds:read"}
    anonymous = ("get",)

    @blp.doc(
        responses={
            "200": {
                "description": "The build log as plain text",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        }
    )
    @blp.arguments(BuildLogArgsSchema, location="query")
    @blp.errors(404)
    def get(self, args: dict[str, Any], project_slug: str, build_id: int) -> Response:
        """Show a build's log as plain text, or only what it gained after `offset` bytes

        The whole log starts with a heading and ends with the outcome; with `offset`, the answer is
        only the new part of the append-only stream. Either way the headers carry what a poller needs:
        `Docshelf-Log-Offset` (ask from there next time), `Docshelf-Build-State` and, once the build
        ended, `Docshelf-Build-Success`.
        """
        build = service.get_build(auth.readable_project(project_slug), build_id)
        # One read gives the text and its end, so the next poll misses nothing that lands meanwhile.
        text, end = logs.log_tail(build, args["offset"]) if "offset" in args else logs.build_log(build)
        headers = {"Cache-Control": "no-store", "Docshelf-Log-Offset": str(end),
                   "Docshelf-Build-State": build.state}
        if build.is_final:
            headers["Docshelf-Build-Success"] = "true" if build.success else "false"
        return Response(text, mimetype="text/plain", headers=headers)
