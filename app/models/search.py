"""The content index: one row per section or API object of a published page.

The rows are the index's source of truth on every engine. On SQLite an FTS5 table over them
(``search_fts``, external content, kept in step by triggers) answers the matching; on PostgreSQL the
``document`` column holds the row's weighted ``tsvector`` (title A, text B, page title D) under a GIN
index. Rows go with their version and project (``ON DELETE CASCADE``, which fires the triggers).
"""

from __future__ import annotations

from sqlalchemy import DDL, ForeignKey, Index, Integer, SmallInteger, String, Text, event
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

#: The FTS5 table, its triggers and their removal; the migration runs the same statements.
SQLITE_FTS_CREATE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, content, page_title, content='search_sections', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_sections_ai AFTER INSERT ON search_sections BEGIN "
    "INSERT INTO search_fts(rowid, title, content, page_title) "
    "VALUES (new.id, new.title, new.content, new.page_title); END",
    "CREATE TRIGGER search_sections_ad AFTER DELETE ON search_sections BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, content, page_title) "
    "VALUES ('delete', old.id, old.title, old.content, old.page_title); END",
)
SQLITE_FTS_DROP = (
    "DROP TRIGGER IF EXISTS search_sections_ad",
    "DROP TRIGGER IF EXISTS search_sections_ai",
    "DROP TABLE IF EXISTS search_fts",
)
#: The FTS5 table and the shadow tables SQLite keeps for it (not the models' tables).
SQLITE_FTS_TABLES = frozenset(
    {
        "search_fts",
        "search_fts_data",
        "search_fts_idx",
        "search_fts_docsize",
        "search_fts_config",
        "search_fts_content",
    }
)


class SearchSection(db.Model):  # type: ignore[name-defined]
    __tablename__ = "search_sections"
    __table_args__ = (
        Index("ix_search_sections_version_path", "version_id", "path"),
        # GIN on PostgreSQL; on SQLite a plain index of an empty column (FTS5 does the matching there).
        Index("ix_search_sections_document", "document", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    #: The page's file inside the version's html (``guide/index.html``).
    path: Mapped[str] = mapped_column(String(1024))
    page_title: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default="section")  # section | domain
    anchor: Mapped[str] = mapped_column(String(500), default="")
    role: Mapped[str] = mapped_column(String(100), default="")  # a domain object's "py:function"
    title: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    #: ``search.ranking`` of the page, -10 … 10.
    rank: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: PostgreSQL's text search configuration for the row (``english``, ``simple``...).
    language: Mapped[str] = mapped_column(String(20), default="simple")
    position: Mapped[int] = mapped_column(Integer, default=0)  # order on the page
    document: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))


for _statement in SQLITE_FTS_CREATE:
    event.listen(SearchSection.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_FTS_DROP:
    event.listen(SearchSection.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
