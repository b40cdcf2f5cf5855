"""Invitation representations (the invitee's and the project's view) and the list filter.

The same invitation has two addresses: the invitee acts on ``/api/v3/invitations/<id>/`` (accept,
decline), the project's maintainers on ``/api/v3/projects/<p>/invitations/<id>/`` (revoke). Each
view links to the actions its reader may take, so a person walking the browsable API finds them.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import FlexSchema, UTCDateTimeField, api_url
from app.models import Invitation
from app.models.base import utcnow
from app.models.invitation import SHOWN_STATES


class InvitationSchema(FlexSchema):
    """The invitee's view; ``username`` is the invitee, as in the maintainer representation."""

    id = fields.Integer()
    project = fields.Method("get_project", metadata={"type": "string"})
    username = fields.Method("get_username", metadata={"type": "string"})
    inviter = fields.Method("get_inviter", allow_none=True, metadata={"type": "string"})
    state = fields.Method("get_state", metadata={"type": "string", "enum": list(SHOWN_STATES)})
    created = UTCDateTimeField()
    modified = UTCDateTimeField()
    expires = UTCDateTimeField()
    _links = fields.Method("get_links", data_key="_links", metadata={"type": "object"})

    def get_project(self, invitation: Invitation) -> str:
        return invitation.project.slug

    def get_username(self, invitation: Invitation) -> str:
        return invitation.invitee.username

    def get_inviter(self, invitation: Invitation) -> str | None:
        return invitation.inviter.username if invitation.inviter is not None else None

    def get_state(self, invitation: Invitation) -> str:
        return invitation.shown_state(utcnow())

    def get_links(self, invitation: Invitation) -> dict[str, str]:
        return {
            "_self": api_url("invitations", invitation.id),
            "accept": api_url("invitations", invitation.id, "accept"),
            "decline": api_url("invitations", invitation.id, "decline"),
            "project": api_url("projects", invitation.project.slug),
        }


class ProjectInvitationSchema(InvitationSchema):
    """The project maintainers' view: where to revoke it (DELETE ``_self``) and the maintainers."""

    def get_links(self, invitation: Invitation) -> dict[str, str]:
        slug = invitation.project.slug
        return {
            "_self": api_url("projects", slug, "invitations", invitation.id),
            "maintainers": api_url("projects", slug, "maintainers"),
            "project": api_url("projects", slug),
        }


class InvitationQueryArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(validate=validate.OneOf(SHOWN_STATES))


class AnswerSchema(Schema):
    """Accept and decline take no fields (an empty JSON body, or none); unknown ones are ignored."""

    class Meta:
        unknown = EXCLUDE
