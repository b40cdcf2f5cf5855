"""Item bodies built once per distinct content: a poller's next read of unchanged rows reuses them.

A read's body is a pure function of the rows its validator read (fresh, on every request) and of the
URL bases (:func:`app.urls.current_bases`). Building a project's item (~40 fields, a dozen URLs) cost
more than reading its row, and most reads are repeats: CI jobs and the CLI polling a build, dashboards
listing the same projects. So an item is keyed by the *full content* of its inputs, serialised: a
change to any value read is a new key, and no answer can be staler than the rows just read. Nothing
is invalidated; the table is bounded and simply emptied when full.

Items are shared between responses: nothing may change one after it is built (``fields``/``omit``
build new dicts, :mod:`app.api.flex`; the serialiser only reads).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import orjson

from app.urls import current_bases

#: A few thousand projects' and builds' items in each shape: a few MiB per process at most.
_MAX_ITEMS = 20_000
_items: dict[tuple[Hashable, ...], dict[str, Any]] = {}


def item(kind: Hashable, inputs: Any, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``build()``'s item for ``inputs`` (rows: tuples and lists of JSON-able values and datetimes)
    under this request's URL bases, built on the first call with the same content."""
    key = (kind, current_bases(), orjson.dumps(inputs, default=str))
    found = _items.get(key)
    if found is None:
        if len(_items) >= _MAX_ITEMS:
            _items.clear()
        found = _items[key] = build()
    return found
