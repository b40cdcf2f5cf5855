"""``search`` in ``.readthedocs.yaml``: which pages the index leaves out and how pages rank.

``search.ignore``: glob patterns of pages (relative to the html root) left out of the index; Read the
Docs' default is the search and 404 pages. ``search.ranking``: glob pattern → -10…10, the last
matching pattern wins. Validated with the rest of the configuration (an invalid value fails the build
before anything runs), applied by :mod:`workers.search_index`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

DEFAULT_IGNORE = ("search.html", "search/index.html", "404.html", "404/index.html")


class SearchConfigError(ValueError):
    """``search`` in ``.readthedocs.yaml`` is not what Read the Docs accepts; the message says which key."""


@dataclass
class SearchSettings:
    ranking: list[tuple[str, int]] = field(default_factory=list)
    ignore: tuple[str, ...] = DEFAULT_IGNORE

    def rank(self, path: str) -> int:
        value = 0
        for pattern, rank in self.ranking:
            if fnmatch.fnmatchcase(path, pattern):
                value = rank
        return value

    def ignored(self, path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.ignore)


def settings(raw: Any) -> SearchSettings:
    """``search`` of ``.readthedocs.yaml`` (None: the defaults)."""
    if raw is None:
        return SearchSettings()
    if not isinstance(raw, dict):
        raise SearchConfigError("Invalid configuration key 'search': expected a mapping.")
    ranking = raw.get("ranking") or {}
    if not isinstance(ranking, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and -10 <= v <= 10
        for k, v in ranking.items()
    ):
        raise SearchConfigError(
            "Invalid configuration key 'search.ranking': expected a mapping of path "
            "patterns to integers from -10 to 10."
        )
    ignore = raw.get("ignore", list(DEFAULT_IGNORE))
    if not isinstance(ignore, list) or not all(isinstance(p, str) and p for p in ignore):
        raise SearchConfigError(
            "Invalid configuration key 'search.ignore': expected a list of path patterns."
        )
    return SearchSettings(
        ranking=[(k.lstrip("/"), v) for k, v in ranking.items()], ignore=tuple(p.lstrip("/") for p in ignore)
    )
