"""/api/v3/tokens/: your API tokens — list, create (the key is shown once), show, revoke.

Every route needs the ``tokens`` scope (a browser session and a token without scopes have it); a
build's token never manages tokens. A token sees, creates and revokes only tokens no wider than
itself (:mod:`app.services.tokens`), so the routes are usable by a project-restricted token.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth
from app.api.base import ApiView, Blueprint, api_url, paginated
from app.api.tokens.schemas import TokenCreatedSchema, TokenCreateSchema, TokenSchema
from app.models import ApiToken
from app.services import tokens as service

blp = Blueprint("tokens", __name__, url_prefix="/api/v3/tokens", description="API tokens")


@blp.route("/")
class TokenList(ApiView):
    scopes = {"get": "tokens", "post": "tokens"}
    project_free = ("get", "post")

    @blp.errors(401, 403)
    @paginated(blp, TokenSchema)
    def get(self) -> Any:
        """List your API tokens (a token lists only those no wider than itself)"""
        return service.tokens_query(*auth.require_token_manager())

    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenCreatedSchema)
    @blp.errors(400, 401)
    @blp.alt_response(403, description="The new token would be wider than the one creating it")
    def post(self, data: dict[str, Any]) -> Any:
        """Create an API token (its key is shown only in this response)"""
        user, parent = auth.require_token_manager()
        token, key = service.create_token(
            user,
            data["name"],
            scopes=data["scopes"],
            expires=data.get("expires"),
            project_ids=service.resolve_projects(user, data.get("projects")),
            parent=parent,
        )
        setattr(token, "token", key)  # noqa: B010  (not a column: dumped once by TokenCreatedSchema)
        return token, 201, {"Location": api_url("tokens", token.id)}


@blp.route("/<int:token_id>/")
class TokenDetail(ApiView):
    scopes = {"get": "tokens", "delete": "tokens"}
    project_free = ("get", "delete")

    @blp.response(200, TokenSchema)
    @blp.errors(401, 403)
    @blp.alt_response(404, description="No such token of yours")
    def get(self, token_id: int) -> ApiToken:
        """Show one of your API tokens"""
        user, within = auth.require_token_manager()
        return service.get_token(user, token_id, within)

    @blp.response(204)
    @blp.errors(401, 403)
    @blp.alt_response(404, description="No such token of yours")
    def delete(self, token_id: int) -> Response:
        """Revoke one of your API tokens, and the tokens it created"""
        user, within = auth.require_token_manager()
        service.revoke_token(service.get_token(user, token_id, within))
        return Response(status=204)
