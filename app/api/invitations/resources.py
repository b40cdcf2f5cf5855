"""/api/v3/invitations/ (the invitee's) and /api/v3/projects/<project>/invitations/ (the project's).

Adding a maintainer invites them (``POST /projects/<p>/maintainers/`` or ``.../invitations/``);
the invitee finds the invitation from the API root's ``invitations`` link and accepts or declines
it. The invitee side needs only a signed-in user (its objects are looked up among that user's
invitations, so another user's id is a 404); the project side is the maintainers' business, like
read grants. Accepting is a write without a project in the URL, so a token restricted to some
projects cannot accept (it could otherwise widen itself to a new project).
"""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth
from app.api.base import ApiView, Blueprint, api_url, paginated
from app.api.invitations.schemas import (
    AnswerSchema,
    InvitationQueryArgsSchema,
    InvitationSchema,
    ProjectInvitationSchema,
)
from app.api.sharing.schemas import UsernameSchema
from app.models import Invitation, Project
from app.services import invitations as service

blp = Blueprint(
    "invitations", __name__, url_prefix="/api/v3/invitations", description="Invitations addressed to you"
)
project_blp = Blueprint(
    "project_invitations",
    __name__,
    url_prefix="/api/v3/projects/<project_slug>/invitations",
    description="A project's invitations to maintain it",
)


@blp.route("/")
class ReceivedList(ApiView):
    scopes = {"get": "projects:read"}

    @blp.arguments(InvitationQueryArgsSchema, location="query")
    @blp.errors(400, 401)
    @paginated(blp, InvitationSchema)
    def get(self, filters: dict[str, Any]) -> Any:
        """List the invitations addressed to you, newest first (``?state=pending`` for open ones)"""
        return service.received_query(auth.require_user(), filters)


@blp.route("/<int:invitation_id>/")
class ReceivedDetail(ApiView):
    scopes = {"get": "projects:read"}

    @blp.response(200, InvitationSchema)
    @blp.errors(401, 404)
    def get(self, invitation_id: int) -> Invitation:
        """Show an invitation addressed to you"""
        return service.get_received(auth.require_user(), invitation_id)


@blp.route("/<int:invitation_id>/accept/")
class Accept(ApiView):
    scopes = {"post": "projects:write"}

    @blp.arguments(AnswerSchema)
    @blp.response(200, InvitationSchema)
    @blp.errors(401, 403, 404)
    @blp.alt_response(409, description="The invitation was declined or has expired")
    @blp.alt_response(429, description="Accepting would exceed your project quota")
    def post(self, _body: dict[str, Any], invitation_id: int) -> Invitation:
        """Accept an invitation: you become a maintainer of its project (again: no change)"""
        user = auth.require_user()
        return service.accept(service.get_received(user, invitation_id), user)


@blp.route("/<int:invitation_id>/decline/")
class Decline(ApiView):
    scopes = {"post": "projects:write"}

    @blp.arguments(AnswerSchema)
    @blp.response(200, InvitationSchema)
    @blp.errors(401, 403, 404)
    @blp.alt_response(409, description="The invitation was already accepted")
    def post(self, _body: dict[str, Any], invitation_id: int) -> Invitation:
        """Decline an invitation (again: no change)"""
        user = auth.require_user()
        return service.decline(service.get_received(user, invitation_id), user)


@project_blp.route("/")
class ProjectInvitationList(ApiView):
    scopes = {"get": "projects:read", "post": "projects:write"}

    @project_blp.arguments(InvitationQueryArgsSchema, location="query")
    @project_blp.errors(400, 401, 403, 404)
    @paginated(project_blp, ProjectInvitationSchema)
    def get(self, filters: dict[str, Any], project_slug: str) -> Any:
        """List a project's invitations, newest first"""
        return service.project_invitations_query(auth.writable_project(project_slug), filters)

    @project_blp.arguments(UsernameSchema)
    @project_blp.response(201, ProjectInvitationSchema)
    @project_blp.alt_response(400, description="No such user, or a viewer account")
    @project_blp.errors(401, 403, 404)
    @project_blp.alt_response(409, description="Already a maintainer, or already invited")
    def post(self, data: dict[str, Any], project_slug: str) -> Any:
        """Invite a user to maintain the project"""
        project = auth.writable_project(project_slug)
        return created(project, service.invite(project, auth.current_user(), data["username"]))


@project_blp.route("/<int:invitation_id>/")
class ProjectInvitationDetail(ApiView):
    scopes = {"get": "projects:read", "delete": "projects:write"}

    @project_blp.response(200, ProjectInvitationSchema)
    @project_blp.errors(401, 403, 404)
    def get(self, project_slug: str, invitation_id: int) -> Invitation:
        """Show one of the project's invitations"""
        return service.get_project_invitation(auth.writable_project(project_slug), invitation_id)

    @project_blp.response(204)
    @project_blp.errors(401, 403, 404)
    @project_blp.alt_response(409, description="Already accepted or declined")
    def delete(self, project_slug: str, invitation_id: int) -> Response:
        """Revoke an unanswered invitation"""
        service.revoke(service.get_project_invitation(auth.writable_project(project_slug), invitation_id))
        return Response(status=204)


def created(
    project: Project, invitation: Invitation, status: int = 201
) -> tuple[Invitation, int, dict[str, str]]:
    """The answer to an invitation's creation: its project-side URL in ``Location``.

    The slug comes from the project the view loaded: ``invitation.project`` is None once another
    request has deleted the project (the body's dump then answers 404).
    """
    location = api_url("projects", project.slug, "invitations", invitation.id)
    return invitation, status, {"Location": location}
