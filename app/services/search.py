"""Server-side search: index a published version's pages, and answer Read the Docs' search API.

Indexing replaces a version's rows in one transaction (readers see the old index or the new one);
deactivating or deleting a version removes them (deleting through the foreign keys' cascade). A
search names what it covers (``project:``, ``subprojects:``, ``user:@me``; nothing without them, as on
Read the Docs), and every (project, version) it covers passes the reader rule first: a private project
or a private version is searched only for those who may read it, and only active, built versions are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select

from app.extensions import db
from app.models import Project, ProjectRelationship, SearchSection, Version
from app.models.version import find_version
from app.policy import Principal, can_read, has_private_access, private_access_filter
from app.search import engines
from app.search.parse import Page
from app.search.query import MAX_PROJECT_ARGUMENTS, Query, parse
from app.urls import docs_url

MAX_PAGE = 1000  # pages of results one may ask for
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
CONTENT_SHOWN = 500  # characters of a block's text in an answer (its highlights show the hits)


@dataclass
class IndexedPage:
    path: str  # inside the version's html
    page: Page
    rank: int = 0


def engine() -> engines.Engine:
    return engines.engine_for(db.engine.dialect.name)


def replace_version_index(version: Version, pages: Iterable[IndexedPage]) -> int:
    """The version's index becomes exactly ``pages``, atomically; returns the rows written."""
    language = engines.pg_config(version.project.language or "")
    rows: list[dict[str, Any]] = []
    for item in pages:
        base = {
            "project_id": version.project_id,
            "version_id": version.id,
            "path": item.path,
            "page_title": item.page.title,
            "rank": item.rank,
            "language": language,
            "role": "",
        }
        for position, section in enumerate(item.page.sections):
            rows.append(
                dict(
                    base,
                    kind="section",
                    anchor=section.id,
                    title=section.title,
                    content=section.content,
                    position=position,
                )
            )
        offset = len(item.page.sections)
        for position, obj in enumerate(item.page.domains, start=offset):
            rows.append(
                dict(
                    base,
                    kind="domain",
                    anchor=obj.id,
                    role=obj.role,
                    title=obj.name,
                    content=obj.content,
                    position=position,
                )
            )
    db.session.execute(delete(SearchSection).where(SearchSection.version_id == version.id))
    for start in range(0, len(rows), 500):
        db.session.execute(insert(SearchSection), rows[start : start + 500])
    engine().prepare(version.id)
    db.session.commit()
    return len(rows)


def remove_version_index(version_id: int) -> None:
    """Drop a version's rows (the caller commits)."""
    db.session.execute(delete(SearchSection).where(SearchSection.version_id == version_id))


# -- the scope of a search ---------------------------------------------------------------------------


@dataclass
class Scope:
    """The (project, version) pairs a search covers, in the order the query named them."""

    pairs: list[tuple[Project, Version]] = field(default_factory=list)
    aliases: dict[int, str] = field(default_factory=dict)  # subproject id → its alias

    def add(self, project: Project, version: Version | None) -> None:
        if version is None or len(self.pairs) >= MAX_PROJECT_ARGUMENTS:
            return
        if all(v.id != version.id for _, v in self.pairs):
            self.pairs.append((project, version))


def _searchable(
    principal: Principal | None, project: Project, slug: str | None, include_hidden: bool = True
) -> Version | None:
    """The project's version (its default one without ``slug``) when this caller may search it."""
    if not can_read(principal, project):
        return None
    version = find_version(project, slug or project.default_version or "latest")
    if version is None or not (version.active and version.built) or (version.hidden and not include_hidden):
        return None
    if version.privacy_level != "public" and not has_private_access(principal, project):
        return None
    return version


def _split(value: str) -> tuple[str, str | None]:
    slug, _, version = value.partition("/")
    return slug, version or None


def resolve_scope(principal: Principal | None, query: Query) -> Scope:
    scope = Scope()
    for value in query.projects:
        slug, version_slug = _split(value)
        project = db.session.scalar(select(Project).where(Project.slug == slug))
        if project is not None:
            scope.add(project, _searchable(principal, project, version_slug))
    for value in query.subprojects:
        slug, version_slug = _split(value)
        parent = db.session.scalar(select(Project).where(Project.slug == slug))
        if parent is None or not can_read(principal, parent):
            continue  # a private parent's subprojects are not listed to those who cannot read it
        scope.add(parent, _searchable(principal, parent, version_slug))
        relations = db.session.scalars(
            select(ProjectRelationship)
            .where(ProjectRelationship.parent_id == parent.id)
            .order_by(ProjectRelationship.alias)
        ).all()
        for relation in relations:
            child = relation.child
            version = (
                _searchable(principal, child, version_slug, include_hidden=False) if version_slug else None
            )
            scope.add(child, version or _searchable(principal, child, None, include_hidden=False))
    if query.user == "@me" and principal is not None and principal.user is not None:
        mine = db.session.scalars(
            select(Project)
            .where(private_access_filter(principal))
            .order_by(Project.slug)
            .limit(MAX_PROJECT_ARGUMENTS)
        ).all()
        for project in mine:
            scope.add(project, _searchable(principal, project, None, include_hidden=False))
    if scope.pairs:  # a subproject's alias under its parent, however it was named (as Read the Docs)
        aliases = db.session.execute(
            select(ProjectRelationship.child_id, ProjectRelationship.alias).where(
                ProjectRelationship.child_id.in_({p.id for p, _ in scope.pairs})
            )
        ).all()
        scope.aliases = {child_id: alias for child_id, alias in aliases}
    return scope


# -- answering ----------------------------------------------------------------------------------------


@dataclass
class SearchPage:
    count: int
    results: list[dict[str, Any]]
    scope: Scope


def search(principal: Principal | None, query: Query, offset: int, limit: int) -> SearchPage:
    scope = resolve_scope(principal, query)
    if not scope.pairs or not query.searchable:
        return SearchPage(0, [], scope)
    versions = {v.id: (p, v) for p, v in scope.pairs}
    boosted = [v.id for p, v in scope.pairs if v.slug == (p.default_version or "latest")]
    searcher = engine()
    count, pages = searcher.pages(query, list(versions), boosted, offset, limit)
    hits = searcher.blocks(query, list(versions), pages) if pages else []
    results = [
        _page_result(key, [h for h in hits if (h.version_id, h.path) == key], versions, scope)
        for key in pages
    ]
    return SearchPage(count, results, scope)


def _page_result(
    key: tuple[int, str], hits: list[engines.Hit], versions: dict[int, tuple[Project, Version]], scope: Scope
) -> dict[str, Any]:
    project, version = versions[key[0]]
    url = urlsplit(docs_url(project, version.slug, key[1]))
    blocks: list[dict[str, Any]] = []
    for hit in hits:
        title, content = engines.markup(hit.title_highlight), engines.markup(hit.content_highlight)
        if not (title or content) or len(blocks) >= engines.BLOCKS_PER_PAGE:
            continue  # the row matched on its page's title only
        shown = hit.content[:CONTENT_SHOWN]
        if hit.kind == "domain":
            blocks.append(
                {
                    "type": "domain",
                    "role": hit.role,
                    "name": hit.title,
                    "id": hit.anchor,
                    "content": shown,
                    "highlights": {"name": [title] if title else [], "content": [content] if content else []},
                }
            )
        else:
            blocks.append(
                {
                    "type": "section",
                    "id": hit.anchor,
                    "title": hit.title,
                    "content": shown,
                    "highlights": {
                        "title": [title] if title else [],
                        "content": [content] if content else [],
                    },
                }
            )
    first = hits[0] if hits else None
    title_highlight = engines.markup(first.page_title_highlight) if first else ""
    return {
        "type": "page",
        "project": {"slug": project.slug, "alias": scope.aliases.get(project.id)},
        "version": {"slug": version.slug},
        "title": first.page_title if first else "",
        "path": url.path,
        "domain": f"{url.scheme}://{url.netloc}",
        "highlights": {"title": [title_highlight] if title_highlight else []},
        "blocks": blocks,
    }


def is_indexed(version_id: int) -> bool:
    """Whether a version has entries (what the addons' ``search.enabled`` says)."""
    return (
        db.session.scalar(select(SearchSection.id).where(SearchSection.version_id == version_id).limit(1))
        is not None
    )


def answer(
    principal: Principal | None, raw: str, page: int, size: int, page_link: Callable[[int], str]
) -> dict[str, Any]:
    """Read the Docs' search answer for the ``page``-th page of ``size`` results (:class:`QueryError`
    for a query past the bounds); ``page_link(n)`` makes the ``next``/``previous`` URLs."""
    query = parse(raw)
    found = search(principal, query, (page - 1) * size, size)
    return {
        "count": found.count,
        "next": page_link(page + 1) if page * size < found.count and page < MAX_PAGE else None,
        "previous": page_link(page - 1) if page > 1 else None,
        "results": found.results,
        "projects": [{"slug": p.slug, "versions": [{"slug": v.slug}]} for p, v in found.scope.pairs],
        "query": query.text,
    }
