"""/api/v3/search/: Read the Docs' server-side search API (v3), over the content index.

``q`` carries the text and the arguments (``project:``, ``subprojects:``, ``user:@me``); pages are
numbered as on Read the Docs (``page``, ``page_size``). The answer is Read the Docs' envelope plus
``projects`` (what was searched) and ``query`` (the text part). Anonymous callers search public docs;
what a caller may not read is never searched (it is simply absent from ``projects``). The docs origin
answers the same at ``/_/api/v3/search/`` for the addons (:mod:`app.serving.search`).
"""

from __future__ import annotations

from typing import Any

from flask import request

from app import auth
from app.api.base import ApiView, Blueprint
from app.api.links import page_url
from app.errors import ValidationError
from app.search.query import QueryError
from app.services import search as service

blp = Blueprint("search", __name__, url_prefix="/api/v3/search", description="Server-side search")


def number_arg(name: str, default: int, maximum: int) -> int:
    """Lenient, as Read the Docs reads them: a bad or non-positive value falls back, a large one is capped."""
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return min(value, maximum) if value >= 1 else default


@blp.route("/")
class Search(ApiView):
    scopes = {"get": "projects:read"}
    anonymous = ("get",)
    project_free = ("get",)

    @blp.doc(
        parameters=[
            {"in": "query", "name": name, "schema": {"type": "string"}} for name in ("q", "page", "page_size")
        ]
    )
    @blp.errors(400)
    def get(self) -> dict[str, Any]:
        """Search the built documentation of the projects the query names"""
        raw = request.args.get("q", "")
        if not raw.strip():
            raise ValidationError(
                "This query parameter is required.", errors={"q": ["This query parameter is required."]}
            )
        page = number_arg("page", 1, service.MAX_PAGE)
        size = number_arg("page_size", service.DEFAULT_PAGE_SIZE, service.MAX_PAGE_SIZE)
        try:
            return service.answer(auth.current_principal(), raw, page, size, lambda n: page_url(page=n))
        except QueryError as exc:
            raise ValidationError(str(exc), errors={"q": [str(exc)]}) from exc
