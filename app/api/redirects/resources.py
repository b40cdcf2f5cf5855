"""/api/v3/projects/<project>/redirects/

Reads follow the project's visibility; writes need a maintainer (the seam checks that before the
body is parsed, the views ask again to get the project).
"""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth
from app.api.base import ApiView, Blueprint, api_url, paginated
from app.api.redirects.schemas import RedirectCreateSchema, RedirectSchema, RedirectUpdateSchema
from app.models import Redirect
from app.services import redirects as service

blp = Blueprint(
    "redirects", __name__, url_prefix="/api/v3/projects/<project_slug>/redirects", description="Redirects"
)


@blp.route("/")
class RedirectList(ApiView):
    scopes = {"get": "projects:read", "post": "redirects:write"}
    anonymous = ("get",)

    @blp.errors(404)
    @paginated(blp, RedirectSchema)
    def get(self, project_slug: str) -> Any:
        """List a project's redirects in the order they are tried"""
        return service.redirects_query(auth.readable_project(project_slug))

    @blp.arguments(RedirectCreateSchema)
    @blp.response(201, RedirectSchema)
    @blp.errors(400, 401, 403, 404)
    def post(self, data: dict[str, Any], project_slug: str) -> Any:
        """Create a redirect"""
        project = auth.writable_project(project_slug)
        redirect = service.create_redirect(project, data)
        return redirect, 201, {"Location": api_url("projects", project.slug, "redirects", redirect.id)}


@blp.route("/<int:redirect_id>/")
class RedirectDetail(ApiView):
    scopes = {
        "get": "projects:read",
        "put": "redirects:write",
        "patch": "redirects:write",
        "delete": "redirects:write",
    }
    anonymous = ("get",)

    @blp.response(200, RedirectSchema)
    @blp.errors(404)
    def get(self, project_slug: str, redirect_id: int) -> Redirect:
        """Show a redirect"""
        return service.get_redirect(auth.readable_project(project_slug), redirect_id)

    @blp.arguments(RedirectCreateSchema)
    @blp.response(200, RedirectSchema)
    @blp.errors(400, 401, 403, 404)
    def put(self, data: dict[str, Any], project_slug: str, redirect_id: int) -> Redirect:
        """Update a redirect (type required; fields left out keep their value)"""
        redirect = service.get_redirect(auth.writable_project(project_slug), redirect_id)
        return service.update_redirect(redirect, data)

    @blp.arguments(RedirectUpdateSchema)
    @blp.response(200, RedirectSchema)
    @blp.errors(400, 401, 403, 404)
    def patch(self, data: dict[str, Any], project_slug: str, redirect_id: int) -> Redirect:
        """Update a redirect (partial)"""
        redirect = service.get_redirect(auth.writable_project(project_slug), redirect_id)
        return service.update_redirect(redirect, data)

    @blp.response(204)
    @blp.errors(401, 403, 404)
    def delete(self, project_slug: str, redirect_id: int) -> Response:
        """Delete a redirect (the ones below move up)"""
        service.delete_redirect(service.get_redirect(auth.writable_project(project_slug), redirect_id))
        return Response(status=204)
