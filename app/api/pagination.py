"""Limit/offset pagination in the Read the Docs envelope ``{count, next, previous, results}``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy import Select

from app.api.flex import apply_fields_and_omit, current_spec
from app.api.links import page_url
from app.extensions import db
from app.services import validators

DEFAULT_LIMIT = 10
_envelopes: dict[type[Schema], type[Schema]] = {}


class PageArgsSchema(Schema):
    """Documents ``limit``/``offset``; parsed leniently by :func:`page_args`, as Read the Docs does."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Raw(
        metadata={
            "type": "integer",
            "default": DEFAULT_LIMIT,
            "description": "Page size; invalid values fall back to 10, values over 1000 are capped.",
        }
    )
    offset = fields.Raw(
        metadata={
            "type": "integer",
            "default": 0,
            "description": "Index of the first result; invalid values fall back to 0.",
        }
    )


def _int_arg(name: str, default: int, minimum: int) -> int:
    raw = request.args.get(name)  # a repeated key is tolerated: the first one wins
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if value >= minimum else default


def page_args() -> tuple[int, int]:
    limit = min(_int_arg("limit", DEFAULT_LIMIT, 1), current_app.config.get("MAX_PAGE_SIZE", 1000))
    return limit, _int_arg("offset", 0, 0)


def envelope_for(item_schema: type[Schema]) -> type[Schema]:
    envelope = _envelopes.get(item_schema)
    if envelope is None:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        envelope = type(
            name,
            (Schema,),
            {
                "count": fields.Integer(required=True),
                "next": fields.String(allow_none=True, required=True),
                "previous": fields.String(allow_none=True, required=True),
                "results": fields.List(fields.Nested(item_schema), required=True),
            },
        )
        _envelopes[item_schema] = envelope
    return envelope


def paginate_query(stmt: Select[Any]) -> dict[str, Any]:
    """The page's query (one row more, so a list that fits needs no COUNT) and its count; eager loads
    on ``stmt`` keep the item count query-free."""
    limit, offset = page_args()
    items = list(db.session.scalars(stmt.limit(limit + 1).offset(offset)).unique().all())
    count = validators.page_count(stmt, len(items), limit, offset)
    return page(items[:limit], count, limit, offset)


def page(items: list[Any], count: int, limit: int, offset: int) -> dict[str, Any]:
    nxt = page_url(limit=limit, offset=offset + limit) if offset + limit < count else None
    prev = None
    if offset > 0:
        prev_offset = max(offset - limit, 0)
        prev = page_url(limit=limit, offset=prev_offset)
    return {"count": count, "next": nxt, "previous": prev, "results": items}


def rendered_page(found: tuple[int, int, int, list[Any]]) -> dict[str, Any]:
    """The envelope of a page built from its rows (:mod:`app.schemas.rows`), ``fields``/``omit`` applied."""
    count, limit, offset, items = found
    return page(apply_fields_and_omit(items, current_spec()), count, limit, offset)


def paginated(blp: Blueprint, item_schema: type[Schema]) -> Callable[[Callable[..., Any]], Any]:
    """Decorate a list view that returns a ``Select``: documents and produces the page envelope."""

    def decorator(view: Callable[..., Any]) -> Any:
        @blp.arguments(PageArgsSchema, location="query", as_kwargs=True)
        @blp.response(200, envelope_for(item_schema))
        @wraps(view)
        def wrapper(*args: Any, limit: Any = None, offset: Any = None, **kwargs: Any) -> Any:
            result = view(*args, **kwargs)
            return paginate_query(result) if isinstance(result, Select) else result

        return wrapper

    return decorator
