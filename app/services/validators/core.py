"""The validators' common parts: the state, row helpers, pages, statements kept per reader, locks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from app import locks
from app.extensions import db
from app.policy import Principal, private_access_filter, readable_filter

Rows = tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class State:
    """A representation's inputs as read now: equal states give equal representations."""

    values: tuple[Any, ...]
    #: The row a conditional write locks before comparing, so that two writers holding the same
    #: ETag cannot both pass: (model, id).
    row: tuple[type[Any], int] | None = None
    #: When the representation last changed, where a column says so exactly (a finished build).
    last_modified: datetime | None = None


VERSION_COLUMNS = (
    "id", "project_id", "slug", "verbose_name", "identifier", "ref", "built", "active", "hidden", "type",
    "privacy_level", "built_formats",
)
BUILD_COLUMNS = (
    "id", "project_id", "version_slug", "created", "started", "finished", "state", "success", "error",
    "warnings", "commit", "external_url", "kind",
)


def _rows(stmt: Select[Any], params: dict[str, Any] | None = None) -> Rows:
    return tuple(tuple(row) for row in db.session.execute(stmt, params))


def _table_columns(source: Any, names: Sequence[str]) -> list[Any]:
    """A model's columns by name."""
    return [getattr(source, name) for name in names]


def _build_columns(source: Any, config: bool) -> list[Any]:
    return _table_columns(source, BUILD_COLUMNS + (("config",) if config else ()))


_Built = tuple[tuple[ColumnElement[bool], ...], Select[Any]]
_READER_STATEMENTS: dict[tuple[str, tuple[int, ...]], _Built] = {}


def _per_reader(name: str, principal: Principal | None, private: bool,
                build: Callable[..., Select[Any]]) -> Select[Any]:
    """``build(reader rule SQL[, private access SQL])``, built once per distinct principal: the rules
    give one SQL object per principal (app.policy.rules), and building a detail's statement around it
    cost five times running it. The entry holds the rule objects, so their ids stay theirs."""
    rules = (readable_filter(principal),) + ((private_access_filter(principal),) if private else ())
    key = (name, tuple(id(rule) for rule in rules))
    hit = _READER_STATEMENTS.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], rules, strict=True)):
        return hit[1]
    if len(_READER_STATEMENTS) >= 4096:
        _READER_STATEMENTS.clear()
    stmt = build(*rules)
    _READER_STATEMENTS[key] = (rules, stmt)
    return stmt


def _count(stmt: Select[Any]) -> int:
    """The list's count, as :func:`app.api.pagination.paginate_query` counts it."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def page_count(stmt: Select[Any], read: int, limit: int, offset: int) -> int:
    """The count of a list whose page was read with one row more than ``limit`` (``read`` rows): known
    without a COUNT unless more rows follow or the page lies past the end."""
    if read > limit or (not read and offset):
        return _count(stmt)
    return offset + read


def _page(stmt: Select[Any], limit: int, offset: int, first: Callable[[Select[Any]], Rows],
          rest: Callable[[Rows], Any] = lambda rows: rows) -> tuple[Any, ...]:
    """(count, limit, offset, page) of a list: ``first`` reads the page's rows from the list's statement
    (its filters and order), ``rest`` what they need besides (maintainers, projects...).

    One row more than the page is read: when it is not there, the page ends the list and the count is
    ``offset`` plus the rows read, with no COUNT (a list that fits in one page costs a query less).
    """
    rows = first(stmt.limit(limit + 1).offset(offset))
    count = page_count(stmt, len(rows), limit, offset)
    rows = rows[:limit]
    return (count, limit, offset, rest(rows) if rows else ())


def _columns_of(stmt: Select[Any], *columns: Any) -> Select[Any]:
    """The list's statement (filters, joins, order, page) selecting ``columns`` instead of its models."""
    return stmt.with_only_columns(*columns, maintain_column_froms=True)


def lock(state: State) -> None:
    """Hold the state's row until the write's transaction ends (:mod:`app.locks`), so the state read
    next is the one the write applies to."""
    if state.row is not None:
        model, row_id = state.row
        locks.lock_rows(model, [row_id])
        db.session.expire_all()  # what the request loaded before the lock is read again under it
