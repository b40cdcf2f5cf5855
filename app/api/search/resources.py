"""/api/v3/search/: Read the Docs' server-side search API (v3), over the content index.

``q`` carries the text and the arguments (``project:``, ``subprojects:``, ``user:@me``); pages are
numbered as on Read the Docs (``page``, ``page_size``). The answer is Read the Docs' envelope plus
``projects`` (what was searched) and ``query`` (the text part). Anonymous callers search public docs;
what a caller may not read is never searched (it is simply absent from ``projects``).
"""

from __future__ import annotations

from typing import Any

from flask import request

from app import auth
from app.api.base import ApiView, Blueprint
from app.api.links import page_url
from app.errors import ValidationError
from app.search.query import QueryError, parse
from app.services import search as service

blp = Blueprint("search", __name__, url_prefix="/api/v3/search", description="Server-side search")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_PAGE = 1000


def _number(name: str, default: int, maximum: int) -> int:
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
        try:
            query = parse(raw)
        except QueryError as exc:
            raise ValidationError(str(exc), errors={"q": [str(exc)]}) from exc
        page = _number("page", 1, MAX_PAGE)
        size = _number("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        found = service.search(auth.current_principal(), query, (page - 1) * size, size)
        return {
            "count": found.count,
            "next": page_url(page=page + 1) if page * size < found.count and page < MAX_PAGE else None,
            "previous": page_url(page=page - 1) if page > 1 else None,
            "results": found.results,
            "projects": [{"slug": p.slug, "versions": [{"slug": v.slug}]} for p, v in found.scope.pairs],
            "query": query.text,
        }
