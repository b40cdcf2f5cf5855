"""/api/v3/projects/<project>/environmentvariables/ — maintainers only, even for reads.

Names are secrets' metadata, so every view asks for a writable project: anonymous → 401, an
invisible private project → 404, anyone else → 403. There is no update (delete and re-create, as on
Read the Docs): PUT/PATCH fall through to the framework's 405, whose handler runs the same checks first.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth
from app.api.base import ApiView, Blueprint, api_url, paginated
from app.api.environment_variables.schemas import EnvironmentVariableCreateSchema, EnvironmentVariableSchema
from app.models import EnvironmentVariable
from app.services import envvars as service

blp = Blueprint(
    "environmentvariables",
    __name__,
    url_prefix="/api/v3/projects/<project_slug>/environmentvariables",
    description="Environment variables",
)


@blp.route("/")
class EnvironmentVariableList(ApiView):
    scopes = {"get": "envvars:read", "post": "envvars:write"}

    @blp.errors(401, 403, 404)
    @paginated(blp, EnvironmentVariableSchema)
    def get(self, project_slug: str) -> Any:
        """List a project's environment variables (without their values)"""
        return service.environment_variables_query(auth.writable_project(project_slug))

    @blp.arguments(EnvironmentVariableCreateSchema)
    @blp.response(201, EnvironmentVariableSchema)
    @blp.errors(400, 401, 403, 404)
    def post(self, data: dict[str, Any], project_slug: str) -> Any:
        """Create an environment variable"""
        project = auth.writable_project(project_slug)
        variable = service.create_environment_variable(
            project, name=data["name"], value=data["value"], public=data["public"]
        )
        location = api_url("projects", project.slug, "environmentvariables", variable.id)
        return variable, 201, {"Location": location}


@blp.route("/<int:environmentvariable_id>/")
class EnvironmentVariableDetail(ApiView):
    scopes = {"get": "envvars:read", "delete": "envvars:write"}

    @blp.response(200, EnvironmentVariableSchema)
    @blp.errors(401, 403, 404)
    def get(self, project_slug: str, environmentvariable_id: int) -> EnvironmentVariable:
        """Show an environment variable (without its value)"""
        project = auth.writable_project(project_slug)
        return service.get_environment_variable(project, environmentvariable_id)

    @blp.response(204)
    @blp.errors(401, 403, 404)
    def delete(self, project_slug: str, environmentvariable_id: int) -> Response:
        """Delete an environment variable"""
        project = auth.writable_project(project_slug)
        service.delete_environment_variable(service.get_environment_variable(project, environmentvariable_id))
        return Response(status=204)
