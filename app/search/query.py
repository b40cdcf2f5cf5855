"""Read the Docs' search query syntax, parsed once and compiled for each engine.

``name:value`` arguments (``project:<slug>[/<version>]``, ``subprojects:<slug>[/<version>]``,
``user:@me``; ``project\\:docs`` escapes one) anywhere in the query, the rest is text with the
special queries of Read the Docs' syntax page: ``"exact phrase"``, ``prefix*``, ``-excluded``,
``a | b`` (or), ``term~2`` (accepted; matched exactly). Terms are kept as word tokens only, so no
character of the user's input ever reaches an engine's own query language: each compiler writes
its syntax around tokens that are letters, digits and underscores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 1000
MAX_TERMS = 32
MAX_PROJECT_ARGUMENTS = 100  # Read the Docs' own limit on projects in one search
ARGUMENTS = ("project", "subprojects", "user")
_WORD = re.compile(r"\w+")
_PIECE = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class QueryError(ValueError):
    """The query cannot be answered as written (too long, too many terms); the message says why."""


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or the words of a phrase
    prefix: bool = False


@dataclass
class Query:
    text: str  # the text part, as Read the Docs echoes it in ``query``
    projects: list[str] = field(default_factory=list)
    subprojects: list[str] = field(default_factory=list)
    user: str = ""
    #: All must match; each group is a disjunction of terms.
    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    @property
    def has_arguments(self) -> bool:
        return bool(self.projects or self.subprojects or self.user)

    @property
    def searchable(self) -> bool:
        return bool(self.groups)


def parse(raw: str) -> Query:
    """Split arguments from text and the text into terms; :class:`QueryError` past the bounds."""
    if len(raw) > MAX_QUERY_LENGTH:
        raise QueryError(f"The query is longer than {MAX_QUERY_LENGTH} characters.")
    text: list[str] = []
    query = Query("")
    for token in raw.split():
        name, sep, value = token.partition(":")
        if sep and name in ARGUMENTS and value:
            if name == "user":
                query.user = value
            else:
                (query.projects if name == "project" else query.subprojects).append(value)
        else:
            text.append(token)
    query.text = " ".join(text).replace("\\:", ":")
    _terms(query)
    return query


def _terms(query: Query) -> None:
    pending_or = False
    count = 0
    for match in _PIECE.finditer(query.text):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and bare in ("|", "OR"):
            pending_or = bool(query.groups)
            continue
        prefix = False
        if bare is not None:
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            bare = bare.lstrip("-+")
            bare = re.sub(r"~\d*$", "", bare)  # fuzziness: accepted, matched exactly
            prefix = bare.endswith("*")
            words = tuple(_WORD.findall(bare))
        else:
            words = tuple(_WORD.findall(phrase or ""))
        if not words:
            continue
        count += len(words)
        if count > MAX_TERMS:
            raise QueryError(f"The query has more than {MAX_TERMS} terms.")
        term = Term(words, prefix=prefix and len(words) == 1)
        if negated:
            query.excluded.append(term)
        elif pending_or:
            query.groups[-1].append(term)
        else:
            query.groups.append([term])
        pending_or = False


def to_fts5(query: Query) -> str:
    """SQLite FTS5: ``("a" OR "b"*) AND ("c d") NOT "e"``."""

    def term(t: Term) -> str:
        return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")

    positive = " AND ".join("(" + " OR ".join(term(t) for t in group) + ")" for group in query.groups)
    return positive + "".join(f" NOT {term(t)}" for t in query.excluded)


def to_tsquery(query: Query) -> str:
    """PostgreSQL ``to_tsquery`` text: ``('a' | 'b':*) & ('c' <-> 'd') & !'e'``."""

    def term(t: Term) -> str:
        text = " <-> ".join(f"'{w}'" for w in t.words)
        return f"({text})" if len(t.words) > 1 else text + (":*" if t.prefix else "")

    parts = ["(" + " | ".join(term(t) for t in group) + ")" for group in query.groups]
    parts += [f"!{term(t)}" for t in query.excluded]
    return " & ".join(parts)
