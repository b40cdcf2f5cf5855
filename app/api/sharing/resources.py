"""/api/v3/projects/<project>/maintainers/ and /grants/: who maintains a project, who may read it.

Maintainers read and write; a read grant shows a private project (and its private versions) to a
named user and never allows a write. Listing maintainers is as public as the project (its
representation names them anyway); grants are the maintainers' business. Adding a maintainer
invites them (202 with the pending invitation): nobody maintains a project, or has it count
against their quota, without accepting (see ``app.api.invitations``).
"""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy import select

from app import auth
from app.api.base import ApiView, Blueprint, api_url, paginated
from app.api.invitations.resources import created
from app.api.invitations.schemas import ProjectInvitationSchema
from app.api.sharing.schemas import GrantSchema, MaintainerSchema, UsernameSchema
from app.models import ProjectReadGrant, User, project_maintainers
from app.services import invitations
from app.services import sharing as service

maintainers_blp = Blueprint(
    "maintainers",
    __name__,
    url_prefix="/api/v3/projects/<project_slug>/maintainers",
    description="Project maintainers",
)
grants_blp = Blueprint(
    "grants", __name__, url_prefix="/api/v3/projects/<project_slug>/grants", description="Read grants"
)


@maintainers_blp.route("/")
class MaintainerList(ApiView):
    scopes = {"get": "projects:read", "post": "projects:write"}
    anonymous = ("get",)

    @maintainers_blp.errors(404)
    @paginated(maintainers_blp, MaintainerSchema)
    def get(self, project_slug: str) -> Any:
        """List a project's maintainers"""
        project = auth.readable_project(project_slug)
        return (
            select(User)
            .join(project_maintainers, project_maintainers.c.user_id == User.id)
            .where(project_maintainers.c.project_id == project.id)
            .order_by(User.username)
        )

    @maintainers_blp.arguments(UsernameSchema)
    @maintainers_blp.response(202, ProjectInvitationSchema)
    @maintainers_blp.alt_response(400, description="No such user, or a viewer account")
    @maintainers_blp.errors(401, 403, 404)
    @maintainers_blp.alt_response(409, description="Already a maintainer, or already invited")
    def post(self, data: dict[str, Any], project_slug: str) -> Any:
        """Invite a maintainer: they become one when they accept (202, the pending invitation)"""
        project = auth.writable_project(project_slug)
        return created(project, invitations.invite(project, auth.current_user(), data["username"]), 202)


@maintainers_blp.route("/<username>/")
class MaintainerDetail(ApiView):
    scopes = {"get": "projects:read", "delete": "projects:write"}
    anonymous = ("get",)

    @maintainers_blp.response(200, MaintainerSchema)
    @maintainers_blp.errors(404)
    def get(self, project_slug: str, username: str) -> User:
        """Show a maintainer"""
        return service.get_maintainer(auth.readable_project(project_slug), username)

    @maintainers_blp.response(204)
    @maintainers_blp.errors(401, 403, 404)
    @maintainers_blp.alt_response(409, description="The last maintainer cannot be removed")
    def delete(self, project_slug: str, username: str) -> Response:
        """Remove a maintainer, or revoke the unanswered invitation of that user"""
        service.remove_maintainer(auth.writable_project(project_slug), username)
        return Response(status=204)


@grants_blp.route("/")
class GrantList(ApiView):
    scopes = {"get": "projects:read", "post": "projects:write"}

    @grants_blp.errors(401, 403, 404)
    @paginated(grants_blp, GrantSchema)
    def get(self, project_slug: str) -> Any:
        """List the users a project is shared with (read-only)"""
        return service.grants_query(auth.writable_project(project_slug))

    @grants_blp.arguments(UsernameSchema)
    @grants_blp.response(201, GrantSchema)
    @grants_blp.alt_response(400, description="No such user")
    @grants_blp.errors(401, 403, 404)
    @grants_blp.alt_response(409, description="Already shared with this user")
    def post(self, data: dict[str, Any], project_slug: str) -> Any:
        """Share a project with a user (read-only)"""
        grant = service.add_grant(auth.writable_project(project_slug), data["username"])
        return grant, 201, {"Location": api_url("projects", project_slug, "grants", data["username"])}


@grants_blp.route("/<username>/")
class GrantDetail(ApiView):
    scopes = {"get": "projects:read", "delete": "projects:write"}

    @grants_blp.response(200, GrantSchema)
    @grants_blp.errors(401, 403, 404)
    def get(self, project_slug: str, username: str) -> ProjectReadGrant:
        """Show a read grant"""
        return service.get_grant(auth.writable_project(project_slug), username)

    @grants_blp.response(204)
    @grants_blp.errors(401, 403, 404)
    def delete(self, project_slug: str, username: str) -> Response:
        """Stop sharing a project with a user"""
        service.remove_grant(auth.writable_project(project_slug), username)
        return Response(status=204)
