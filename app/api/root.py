"""GET /api/v3/: the entry points, so a client (or a person) can walk the API by its links."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from app.api.base import ApiView, Blueprint, api_url, public_base

blp = Blueprint("root", __name__, url_prefix="/api/v3", description="API root")


class RootSchema(Schema):
    _links = fields.Dict(keys=fields.String(), values=fields.String(), data_key="_links")


@blp.route("/")
class Root(ApiView):
    scopes = {"get": None}
    anonymous = ("get",)

    @blp.response(200, RootSchema)
    def get(self) -> dict[str, Any]:
        """List the API's entry points"""
        return {
            "_links": {
                "projects": api_url("projects"),
                "invitations": api_url("invitations"),  # where an invitee finds what to accept
                "notifications": api_url("notifications"),  # yours and your projects'
                "openapi": f"{public_base()}/api/v3/openapi.json",
                "docs": api_url("docs"),
            }
        }
