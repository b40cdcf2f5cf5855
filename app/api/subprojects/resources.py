"""/api/v3/projects/<project>/subprojects/: link, list, show and unlink subprojects."""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth
from app.api.base import ApiView, Blueprint, api_url, expanded, paginated
from app.api.projects.resources import PROJECT_EXPAND
from app.api.subprojects.schemas import SubprojectCreateSchema, SubprojectSchema
from app.models import Project, ProjectRelationship
from app.services import subprojects as service

blp = Blueprint(
    "subprojects",
    __name__,
    url_prefix="/api/v3/projects/<project_slug>/subprojects",
    description="Subproject relationships",
)
#: The embedded child project's expandable paths.
SUBPROJECT_EXPAND = tuple(f"child.{path}" for path in PROJECT_EXPAND)


def _load(parent: Project, alias: str) -> ProjectRelationship:
    """The relationship with the eager loads this request's ``expand`` asks for."""
    return service.get_subproject(
        parent,
        auth.current_principal(),
        alias,
        expanded("child.active_versions"),
        expanded("child.active_versions.last_build"),
    )


@blp.route("/")
class SubprojectList(ApiView):
    scopes = {"get": "projects:read", "post": "projects:write"}
    anonymous = ("get",)
    expand = SUBPROJECT_EXPAND

    @blp.errors(404)
    @paginated(blp, SubprojectSchema)
    def get(self, project_slug: str) -> Any:
        """List a project's subprojects"""
        parent = auth.readable_project(project_slug)
        return service.subprojects_query(
            parent,
            auth.current_principal(),
            expanded("child.active_versions"),
            expanded("child.active_versions.last_build"),
        )

    @blp.response(201, SubprojectSchema)
    @blp.alt_response(400, description="Invalid child or alias, or nesting")
    @blp.errors(401)
    @blp.alt_response(403, description="Not a maintainer of the parent")
    @blp.errors(404)
    @blp.arguments(SubprojectCreateSchema)
    def post(self, data: dict[str, Any], project_slug: str) -> Any:
        """Make one of your projects a subproject of this one"""
        parent = auth.writable_project(project_slug)
        principal = auth.require_principal()
        relation = service.create_subproject(parent, principal, data["child"], data.get("alias"))
        alias = relation.alias
        return _load(parent, alias), 201, {"Location": api_url("projects", parent.slug, "subprojects", alias)}


@blp.route("/<alias_slug>/")
class SubprojectDetail(ApiView):
    scopes = {"get": "projects:read", "delete": "projects:write"}
    anonymous = ("get",)
    expand = SUBPROJECT_EXPAND

    @blp.response(200, SubprojectSchema)
    @blp.errors(404)
    def get(self, project_slug: str, alias_slug: str) -> ProjectRelationship:
        """Show a subproject relationship"""
        return _load(auth.readable_project(project_slug), alias_slug)

    @blp.response(204)
    @blp.errors(401)
    @blp.alt_response(403, description="Not a maintainer of the parent")
    @blp.errors(404)
    def delete(self, project_slug: str, alias_slug: str) -> Response:
        """Remove a subproject relationship (both projects stay)"""
        service.delete_subproject(auth.writable_project(project_slug), alias_slug)
        return Response(status=204)
