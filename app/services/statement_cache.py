"""SQL statements built once and reused by every request that needs the same one.

Building a SELECT with its joins and filters, and SQLAlchemy's cache key for it (which SQLAlchemy
keeps on the statement object), cost about as much as running it against a warm database. Statements
are immutable, so one object can serve every request with the same inputs; its values that change per
request are bound parameters.

A key may hold the ``id()`` of statements or rule objects it was built from; the entry keeps those
objects alive, and a hit checks they are still the same objects, so an id can never be reused for
something else while its entry exists.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

S = TypeVar("S")

#: Entries: one per distinct shape of a read (principal rule, filters, page), so a few hundred in use.
_MAX_ENTRIES = 4096
_statements: dict[Hashable, tuple[tuple[Any, ...], Any]] = {}


def _same(a: object, b: object) -> bool:
    return a is b


def built_once(key: Hashable, holds: tuple[Any, ...], build: Callable[[], S]) -> S:
    """``build()``'s statement, built on the first call with this ``key`` (``holds``: the objects whose
    ids are in the key)."""
    hit = _statements.get(key)
    if hit is not None and len(hit[0]) == len(holds) and all(map(_same, hit[0], holds)):
        return hit[1]
    if len(_statements) >= _MAX_ENTRIES:
        _statements.clear()
    statement = build()
    _statements[key] = (holds, statement)
    return statement
