"""The search engines behind one interface: SQLite FTS5 (the embedded default), PostgreSQL full-text.

:class:`Engine` is the seam: an engine fills its index for a version's freshly inserted rows
(:meth:`Engine.prepare`) and answers a parsed query over a set of versions with the best pages
(:meth:`Engine.pages`) and their matching blocks with highlights (:meth:`Engine.blocks`). Rows in
``search_sections`` stay the source of truth, so an external engine (OpenSearch: documents keyed by
the row id, filled from :meth:`prepare`, queried in :meth:`pages`/:meth:`blocks`) would be one more
class here, chosen in :func:`engine_for`; none is built.

Ranking, on both: a title match outweighs a text match (FTS5 ``bm25`` column weights; ``ts_rank``
weights A/B), multiplied by the page's ``search.ranking`` and by a boost for the versions the
caller did not name (a project's default version over its older ones).
Highlights come back wrapped in private-use markers; :func:`markup` escapes the text and turns
the markers into ``<span>`` (the page's text never reaches the reader unescaped).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import BindParameter, bindparam, text

from app.extensions import db
from app.search.query import Query, to_fts5, to_tsquery

START, STOP = "\ue000", "\ue001"
BLOCKS_PER_PAGE = 5
DEFAULT_BOOST = 1.5
_RANK = "(CASE WHEN s.rank >= 0 THEN 1.0 + 0.25 * s.rank ELSE 1.0 / (1.0 - 0.25 * s.rank) END)"
#: PostgreSQL configurations by project language (others: ``simple``, no stemming).
PG_CONFIGS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "pt-br": "portuguese",
    "nl": "dutch",
    "ru": "russian",
    "sv": "swedish",
    "da": "danish",
    "fi": "finnish",
    "nb": "norwegian",
    "tr": "turkish",
    "hu": "hungarian",
    "ro": "romanian",
    "el": "greek",
    "id": "indonesian",
}


def pg_config(language: str) -> str:
    return PG_CONFIGS.get(language.lower(), "simple")


@dataclass
class Hit:
    version_id: int
    path: str
    kind: str
    anchor: str
    role: str
    title: str
    content: str
    page_title: str
    title_highlight: str
    content_highlight: str
    page_title_highlight: str
    score: float


class Engine(Protocol):
    def prepare(self, version_id: int) -> None: ...

    def pages(
        self, query: Query, version_ids: Sequence[int], boosted: Sequence[int], offset: int, limit: int
    ) -> tuple[int, list[tuple[int, str]]]: ...

    def blocks(
        self, query: Query, version_ids: Sequence[int], pages: Sequence[tuple[int, str]]
    ) -> list[Hit]: ...


def markup(highlighted: str) -> str:
    """Escaped text with each marked hit in ``<span>``; empty when nothing was marked."""
    if START not in highlighted:
        return ""
    text = highlighted.translate(_RESTORE)
    return html.escape(text).replace(START, "<span>").replace(STOP, "</span>")


#: PostgreSQL's parser reads ``a.b`` and ``a/b`` as one token (a host, a file) and drops what looks like
#: an HTML tag or entity: the text it indexes and highlights gets a private-use break after ``.`` and
#: ``/`` and stand-ins for ``<`` and ``&``, which :func:`markup` undoes (the parser never sees markup).
_BREAK, _LT, _AMP = "\ue002", "\ue003", "\ue004"
_RESTORE = {ord(_BREAK): None, ord(_LT): "<", ord(_AMP): "&"}


def _pg_text(column: str) -> str:
    return (
        f"replace(replace(replace(replace({column}, '<', chr(57347)), '&', chr(57348)), "
        f"'.', '.' || chr(57346)), '/', '/' || chr(57346))"
    )


def _page_filter(pages: Sequence[tuple[int, str]]) -> tuple[str, dict[str, object]]:
    clauses: list[str] = []
    params: dict[str, object] = {}
    for index, (version_id, path) in enumerate(pages):
        clauses.append(f"(s.version_id = :pv{index} AND s.path = :pp{index})")
        params[f"pv{index}"], params[f"pp{index}"] = version_id, path
    return "(" + " OR ".join(clauses or ["1 = 0"]) + ")", params


class SQLiteEngine:
    """FTS5 over ``search_sections`` (see :mod:`app.models.search`)."""

    _SCORE = (
        f"(-bm25(search_fts, 10.0, 1.0, 0.5) * {_RANK} * "
        f"(CASE WHEN s.version_id IN :boosted THEN {DEFAULT_BOOST} ELSE 1.0 END))"
    )
    _FROM = (
        "FROM search_fts JOIN search_sections s ON s.id = search_fts.rowid "
        "WHERE search_fts MATCH :match AND s.version_id IN :versions"
    )

    def prepare(self, version_id: int) -> None:
        """Nothing: the triggers index each row as it is inserted."""

    def pages(
        self, query: Query, version_ids: Sequence[int], boosted: Sequence[int], offset: int, limit: int
    ) -> tuple[int, list[tuple[int, str]]]:
        params = {"match": to_fts5(query), "versions": list(version_ids), "boosted": list(boosted) or [0]}
        expanding: tuple[BindParameter[Any], ...] = (
            bindparam("versions", expanding=True),
            bindparam("boosted", expanding=True),
        )
        rows = db.session.execute(
            # MATERIALIZED: bm25() only runs in the FTS query itself, never inside the aggregate; the
            # window counts the pages in the same pass.
            text(
                "WITH hits AS MATERIALIZED "
                f"(SELECT s.version_id, s.path, {self._SCORE} AS score {self._FROM}) "
                "SELECT version_id, path, max(score) AS best, count(*) OVER () AS total FROM hits "
                "GROUP BY version_id, path ORDER BY best DESC, path LIMIT :limit OFFSET :offset"
            ).bindparams(*expanding),
            dict(params, limit=limit, offset=offset),
        ).all()
        if rows:
            return int(rows[0][3]), [(row[0], row[1]) for row in rows]
        count = db.session.execute(  # past the last page: the count alone
            text(f"SELECT count(*) FROM (SELECT DISTINCT s.version_id, s.path {self._FROM})").bindparams(
                expanding[0]
            ),
            {k: params[k] for k in ("match", "versions")},
        ).scalar_one()
        return int(count), []

    def blocks(self, query: Query, version_ids: Sequence[int], pages: Sequence[tuple[int, str]]) -> list[Hit]:
        where, params = _page_filter(pages)
        sql = (
            f"SELECT s.version_id, s.path, s.kind, s.anchor, s.role, s.title, s.content, s.page_title, "
            f"highlight(search_fts, 0, '{START}', '{STOP}'), "
            f"snippet(search_fts, 1, '{START}', '{STOP}', ' … ', 40), "
            f"highlight(search_fts, 2, '{START}', '{STOP}'), -bm25(search_fts, 10.0, 1.0, 0.5) AS score "
            f"{self._FROM} AND {where} ORDER BY score DESC"
        )
        rows = db.session.execute(
            text(sql).bindparams(bindparam("versions", expanding=True)),
            dict(params, match=to_fts5(query), versions=list(version_ids)),
        ).all()
        return [Hit(*row) for row in rows]


class PostgresEngine:
    """``tsvector`` per row (title A, text B, page title D) under GIN; ``ts_rank`` and ``ts_headline``."""

    _WEIGHTS = "'{0.05, 0.05, 0.2, 1.0}'"

    def prepare(self, version_id: int) -> None:
        db.session.execute(
            text(
                "UPDATE search_sections SET document = "
                f"setweight(to_tsvector(language::regconfig, {_pg_text('title')}), 'A') || "
                f"setweight(to_tsvector(language::regconfig, {_pg_text('content')}), 'B') || "
                f"setweight(to_tsvector(language::regconfig, {_pg_text('page_title')}), 'D') "
                "WHERE version_id = :v"
            ),
            {"v": version_id},
        )

    def _tsquery(self, version_ids: Sequence[int]) -> tuple[str, dict[str, object]]:
        """One tsquery per configuration of the searched projects, or-ed (a constant: GIN applies).

        The configurations come from the projects' languages (what indexing used), not from a scan of
        the index."""
        languages = db.session.execute(
            text(
                "SELECT DISTINCT p.language FROM projects p JOIN versions v ON v.project_id = p.id "
                "WHERE v.id IN :versions"
            ).bindparams(bindparam("versions", expanding=True)),
            {"versions": list(version_ids)},
        ).scalars()
        configs = sorted({pg_config(language or "") for language in languages})
        parts = [f"to_tsquery(CAST(:cfg{i} AS regconfig), :tq)" for i in range(len(configs))] or [
            "to_tsquery('simple', :tq)"
        ]
        return "(" + " || ".join(parts) + ")", {f"cfg{i}": c for i, c in enumerate(configs)}

    def pages(
        self, query: Query, version_ids: Sequence[int], boosted: Sequence[int], offset: int, limit: int
    ) -> tuple[int, list[tuple[int, str]]]:
        tsquery, params = self._tsquery(version_ids)
        params.update(
            tq=to_tsquery(query),
            versions=list(version_ids),
            boosted=list(boosted) or [0],
            limit=limit,
            offset=offset,
        )
        score = (
            f"ts_rank({self._WEIGHTS}, s.document, q.query) * {_RANK} * "
            f"(CASE WHEN s.version_id IN :boosted THEN {DEFAULT_BOOST} ELSE 1.0 END)"
        )
        base = (
            f"FROM search_sections s, (SELECT {tsquery} AS query) q "
            "WHERE s.document @@ q.query AND s.version_id IN :versions"
        )
        expanding: tuple[BindParameter[Any], ...] = (
            bindparam("versions", expanding=True),
            bindparam("boosted", expanding=True),
        )
        rows = db.session.execute(
            text(
                f"SELECT s.version_id, s.path, max({score}) AS score, count(*) OVER () AS total {base} "
                "GROUP BY s.version_id, s.path ORDER BY score DESC, s.path LIMIT :limit OFFSET :offset"
            ).bindparams(*expanding),
            params,
        ).all()
        if rows:
            return int(rows[0][3]), [(row[0], row[1]) for row in rows]
        count = db.session.execute(
            text(f"SELECT count(*) FROM (SELECT DISTINCT s.version_id, s.path {base}) pages").bindparams(
                expanding[0]
            ),
            {k: v for k, v in params.items() if k not in ("boosted", "limit", "offset")},
        ).scalar_one()
        return int(count), []

    def blocks(self, query: Query, version_ids: Sequence[int], pages: Sequence[tuple[int, str]]) -> list[Hit]:
        tsquery, params = self._tsquery(version_ids)
        where, page_params = _page_filter(pages)
        params.update(page_params, tq=to_tsquery(query), versions=list(version_ids))
        options = f"StartSel={START}, StopSel={STOP}"
        whole = f"{options}, HighlightAll=true"
        # ts_headline is the costly part: only for the best rows of each page (a row matching on its
        # page's title alone ranks last and is dropped by the caller).
        sql = (
            f"SELECT s.version_id, s.path, s.kind, s.anchor, s.role, s.title, s.content, s.page_title, "
            f"ts_headline(s.language::regconfig, {_pg_text('s.title')}, q.query, '{whole}'), "
            f"ts_headline(s.language::regconfig, {_pg_text('s.content')}, q.query, "
            f"'{options}, MaxWords=40, MinWords=15, MaxFragments=2, FragmentDelimiter=\" … \"'), "
            f"ts_headline(s.language::regconfig, {_pg_text('s.page_title')}, q.query, '{whole}'), s.score "
            f"FROM (SELECT s.*, ts_rank({self._WEIGHTS}, s.document, q.query) AS score, row_number() OVER ("
            f"PARTITION BY s.version_id, s.path ORDER BY ts_rank({self._WEIGHTS}, s.document, q.query) DESC, "
            f"s.position) AS nth FROM search_sections s, (SELECT {tsquery} AS query) q "
            f"WHERE s.document @@ q.query AND s.version_id IN :versions AND {where}) s, "
            f"(SELECT {tsquery} AS query) q WHERE s.nth <= {BLOCKS_PER_PAGE + 1} ORDER BY s.score DESC"
        )
        rows = db.session.execute(text(sql).bindparams(bindparam("versions", expanding=True)), params).all()
        return [Hit(*row) for row in rows]


def engine_for(dialect: str) -> Engine:
    """The engine for the database in use (an external engine would be chosen here by a setting)."""
    return PostgresEngine() if dialect == "postgresql" else SQLiteEngine()
