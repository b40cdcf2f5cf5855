"""/api/v3/embed/: Read the Docs' embed API on the app origin, answered by the docs origin.

A section's markup is the project's own content, so it is read and returned by the docs origin
(``/_/api/v3/embed/``, :mod:`app.serving.embed`), which resolves the URL with the docs server's rules and
reads private docs with the docs origin's credential; this view sends the client there (302, the
query kept), as the app origin does for every docs path.
"""

from __future__ import annotations

from flask import redirect, request
from werkzeug.wrappers import Response

from app.api.base import ApiView, Blueprint
from app.urls import docs_site_url

blp = Blueprint("embed", __name__, url_prefix="/api/v3/embed", description="Embed API")


@blp.route("/")
class Embed(ApiView):
    scopes = {"get": None}
    anonymous = ("get",)
    project_free = ("get",)

    @blp.doc(
        parameters=[
            {"in": "query", "name": name, "schema": {"type": "string"}}
            for name in ("url", "doctool", "doctoolversion", "maincontent")
        ]
    )
    @blp.response(302)
    def get(self) -> Response:
        """The HTML of a section of hosted documentation (answered on the docs origin)"""
        target = docs_site_url("_", "api", "v3", "embed")
        query = request.query_string.decode("latin-1")
        response = redirect(f"{target}?{query}" if query else target, code=302)
        response.headers["Cache-Control"] = "no-store"
        return response
