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
from marshmallow import Schema, fields

from app import auth
from app.api.base import ApiView, Blueprint
from app.api.links import page_url
from app.errors import ValidationError
from app.search.query import QueryError
from app.services import search as service

blp = Blueprint("search", __name__, url_prefix="/api/v3/search", description="Server-side search")


class HighlightsSchema(Schema):
    """Hits wrapped in ``<span>``, the rest of the text HTML-escaped; only the keys of the block's kind."""

    title = fields.List(fields.String())
    content = fields.List(fields.String())
    name = fields.List(fields.String())


class BlockSchema(Schema):
    """``section`` (id, title, content) or ``domain`` (an API object: id, role, name, content)."""

    type = fields.String()
    id = fields.String()
    title = fields.String()
    name = fields.String()
    role = fields.String()
    content = fields.String()
    highlights = fields.Nested(HighlightsSchema)


class SlugSchema(Schema):
    slug = fields.String()


class ProjectRefSchema(SlugSchema):
    alias = fields.String(allow_none=True)


class PageResultSchema(Schema):
    type = fields.String()
    title = fields.String()
    path = fields.String()
    domain = fields.String()
    project = fields.Nested(ProjectRefSchema)
    version = fields.Nested(SlugSchema)
    highlights = fields.Nested(HighlightsSchema)
    blocks = fields.List(fields.Nested(BlockSchema))


class SearchedSchema(SlugSchema):
    versions = fields.List(fields.Nested(SlugSchema))


class SearchResponseSchema(Schema):
    count = fields.Integer()
    next = fields.String(allow_none=True)
    previous = fields.String(allow_none=True)
    results = fields.List(fields.Nested(PageResultSchema))
    projects = fields.List(fields.Nested(SearchedSchema))
    query = fields.String()


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
    @blp.response(200, SearchResponseSchema)
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
