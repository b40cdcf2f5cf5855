"""The validators' common parts: the state, row helpers, pages, statements kept per reader, locks."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Select, func, select

from app import locks
from app.extensions import db, read_connection
from app.policy import Principal, private_access_filter, readable_filter
from app.services.statement_cache import built_once

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


def _execute(stmt: Any, params: dict[str, Any] | None = None) -> CursorResult[Any]:
    """Run a column select on :func:`~app.extensions.read_connection` (a write's: in its transaction,
    under the lock :func:`lock` took). Validators read columns, never entities: executing through the
    Session would add the ORM's per-statement set-up (about a third of a small query's cost) for nothing."""
    return read_connection().execute(stmt, params)


def _rows(stmt: Select[Any], params: dict[str, Any] | None = None) -> Rows:
    # all(): one fetchall; iterating the result would fetch row by row.
    return tuple(tuple(row) for row in _execute(stmt, params).all())


def _table_columns(source: Any, names: Sequence[str]) -> list[Any]:
    """A model's columns by name."""
    return [getattr(source, name) for name in names]


def _build_columns(source: Any, config: bool) -> list[Any]:
    return _table_columns(source, BUILD_COLUMNS + (("config",) if config else ()))


def _per_reader(name: str, principal: Principal | None, private: bool,
                build: Callable[..., Select[Any]]) -> Select[Any]:
    """``build(reader rule SQL[, private access SQL])``, built once per distinct principal: the rules
    give one SQL object per principal (app.policy.rules), and building a detail's statement around it
    cost five times running it."""
    rules = (readable_filter(principal),) + ((private_access_filter(principal),) if private else ())
    return built_once((name, *(id(rule) for rule in rules)), rules, lambda: build(*rules))


def _count(stmt: Select[Any]) -> int:
    """The list's count, as :func:`app.api.pagination.paginate_query` counts it."""
    return _execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar() or 0


def page_count(stmt: Select[Any], read: int, limit: int, offset: int) -> int:
    """The count of a list whose page was read with one row more than ``limit`` (``read`` rows): known
    without a COUNT unless more rows follow or the page lies past the end."""
    if read > limit or (not read and offset):
        return _count(stmt)
    return offset + read


def _page(stmt: Select[Any], limit: int, offset: int, shape: Hashable,
          columns: Callable[[Select[Any]], Select[Any]], rest: Callable[[Rows], Any] = lambda rows: rows
          ) -> tuple[Any, ...]:
    """(count, limit, offset, page) of a list: ``columns`` turns the list's statement (its filters and
    order, one page of it) into the statement of the rows to read, ``rest`` reads what they need besides
    (maintainers, projects...). ``shape`` names what ``columns`` selects; with the list's statement
    (the same object for the same reader and filters) and the page, it keys the statement built once.

    One row more than the page is read: when it is not there, the page ends the list and the count is
    ``offset`` plus the rows read, with no COUNT (a list that fits in one page costs a query less).
    """
    page = built_once(("page", shape, id(stmt), limit, offset), (stmt,),
                      lambda: columns(stmt.limit(limit + 1).offset(offset)))
    rows = _rows(page)
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
