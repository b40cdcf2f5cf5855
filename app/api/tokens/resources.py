"""/api/v3/tokens/: your API tokens — list, create (the key is shown once), show, revoke."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from app import auth
from app.api.base import Blueprint, api_url, paginated
from app.api.tokens.schemas import TokenCreatedSchema, TokenCreateSchema, TokenSchema
from app.models import ApiToken
from app.services import tokens as service

blp = Blueprint("tokens", __name__, url_prefix="/api/v3/tokens", description="API tokens")


@blp.route("/")
class TokenList(MethodView):
    @blp.errors(401)
    @paginated(blp, TokenSchema)
    def get(self) -> Any:
        """List your API tokens"""
        return service.tokens_query(auth.require_user())

    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenCreatedSchema)
    @blp.errors(400, 401)
    @blp.alt_response(403, description="The new token would be wider than the one creating it")
    def post(self, data: dict[str, Any]) -> Any:
        """Create an API token (its key is shown only in this response)"""
        user = auth.require_user()
        token, key = service.create_token(
            user,
            data["name"],
            scopes=data["scopes"],
            expires=data.get("expires"),
            project_ids=service.resolve_projects(user, data.get("projects")),
            parent=auth.current_token(),
        )
        setattr(token, "token", key)  # noqa: B010  (not a column: dumped once by TokenCreatedSchema)
        return token, 201, {"Location": api_url("tokens", token.id)}


@blp.route("/<int:token_id>/")
class TokenDetail(MethodView):
    @blp.response(200, TokenSchema)
    @blp.errors(401)
    @blp.alt_response(404, description="No such token of yours")
    def get(self, token_id: int) -> ApiToken:
        """Show one of your API tokens"""
        return service.get_token(auth.require_user(), token_id)

    @blp.response(204)
    @blp.errors(401)
    @blp.alt_response(404, description="No such token of yours")
    def delete(self, token_id: int) -> Response:
        """Revoke one of your API tokens"""
        service.revoke_token(service.get_token(auth.require_user(), token_id))
        return Response(status=204)
