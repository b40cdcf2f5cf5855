"""/api/v3/audit/: the audit log of security-relevant actions, newest first (administrators only)."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields

from app import auth
from app.api.base import ApiView, Blueprint, FlexSchema, UTCDateTimeField, paginated
from app.services import audit as service

blp = Blueprint("audit", __name__, url_prefix="/api/v3/audit", description="Audit log")


class AuditEventSchema(FlexSchema):
    id = fields.Integer()
    created = UTCDateTimeField()
    action = fields.String(metadata={"enum": list(service.ACTIONS)})
    actor = fields.String(allow_none=True)
    project = fields.String(allow_none=True)
    target = fields.String(allow_none=True)
    details = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)


class AuditQueryArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    action = fields.String()
    actor = fields.String()
    project = fields.String()


@blp.route("/")
class AuditEventList(ApiView):
    scopes = {"get": "admin"}

    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.errors(401)
    @blp.alt_response(403, description="Not an administrator")
    @paginated(blp, AuditEventSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List audit events, newest first"""
        auth.require_admin()
        return service.events_query(args)
