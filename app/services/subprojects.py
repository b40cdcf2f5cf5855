"""Subproject relationships: who may link which projects, and the queries that list them.

The rules are Read the Docs' (no self, no nesting in either direction, a child has one parent,
aliases unique per parent) plus one of ours: a translation cannot be a subproject, because its
documentation is already served under its main-language project.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import locks
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.models import Project, ProjectRelationship, Version
from app.policy import Principal, can_read, can_write, readable_filter


def lock_projects(*projects: Project) -> None:
    """Lock the rows (in id order, so two writers cannot deadlock) before checking cross-row rules.

    The unique constraints settle races on one child or one alias, but "no nesting" spans rows:
    A→B and B→C created at once would both pass their checks. On PostgreSQL the second writer
    waits here and then sees the first one's row; SQLite takes its write lock at once (app.locks).
    """
    locks.lock_rows(Project, [p.id for p in projects])


def parent_id_of(project_id: int) -> int | None:
    """The parent's id, read fresh rather than from a relationship loaded before a lock."""
    return db.session.scalar(
        select(ProjectRelationship.parent_id).where(ProjectRelationship.child_id == project_id)
    )


def has_subprojects(project_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(ProjectRelationship.parent_id == project_id))))


def subprojects_query(
    parent: Project, principal: Principal | None, with_versions: bool = False, with_last_build: bool = False
) -> Select[Any]:
    """A parent's relationships whose child the principal may read, with what the representation needs."""
    child = selectinload(ProjectRelationship.child)
    stmt = (
        select(ProjectRelationship)
        .join(ProjectRelationship.child)
        .where(ProjectRelationship.parent_id == parent.id, readable_filter(principal))
        .options(
            selectinload(ProjectRelationship.parent),
            child.selectinload(Project.users),
            child.selectinload(Project.main_language_project),
            # The child's docs URL is under its parent's (``/<parent>/projects/<alias>/``).
            child.selectinload(Project.superproject_relation).selectinload(ProjectRelationship.parent),
        )
        .order_by(ProjectRelationship.alias)
    )
    if with_versions:
        # ``expand=child.active_versions`` reaches the children: one query for the page, not one per item.
        versions = child.selectinload(Project.versions)
        stmt = stmt.options(versions.selectinload(Version.last_build) if with_last_build else versions)
    return stmt


def get_subproject(
    parent: Project,
    principal: Principal | None,
    alias: str,
    with_versions: bool = False,
    with_last_build: bool = False,
) -> ProjectRelationship:
    stmt = subprojects_query(parent, principal, with_versions, with_last_build)
    relation = db.session.scalars(stmt.where(ProjectRelationship.alias == alias)).first()
    if relation is None:
        raise NotFound("No ProjectRelationship matches the given query.")
    return relation


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, errors={field: [message]})


def _check_child(parent: Project, principal: Principal, child: Project | None, child_slug: str) -> Project:
    # A child the caller cannot read is reported as missing: the error must not reveal private projects.
    if child is None or not can_read(principal, child):
        raise _invalid("child", f"Project with slug '{child_slug}' does not exist.")
    if not can_write(principal, child):
        raise _invalid(
            "child", f"You must be a maintainer of project '{child.slug}' to add it as a subproject."
        )
    if child.id == parent.id:
        raise _invalid("child", "A project cannot be a subproject of itself.")
    return child


def _check_nesting(parent: Project, child: Project) -> None:
    if parent_id_of(parent.id) is not None:
        raise _invalid(
            "non_field_errors",
            f"Subproject nesting is not supported: project '{parent.slug}' is itself a subproject.",
        )
    current = parent_id_of(child.id)
    if current is not None:
        owner = db.session.get(Project, current)
        raise _invalid(
            "child",
            f"Project '{child.slug}' is already a subproject of '{owner.slug if owner else current}'.",
        )
    if has_subprojects(child.id):
        raise _invalid(
            "child",
            f"Project '{child.slug}' has subprojects of its own; subproject nesting is not supported.",
        )
    if child.main_language_project_id is not None:
        raise _invalid(
            "child",
            f"Project '{child.slug}' is a translation; a translation cannot be a subproject.",
        )


def _alias_taken(parent: Project, alias: str) -> bool:
    stmt = exists().where(ProjectRelationship.parent_id == parent.id, ProjectRelationship.alias == alias)
    return bool(db.session.scalar(select(stmt)))


def create_subproject(
    parent: Project, principal: Principal, child_slug: str, alias: str | None = None
) -> ProjectRelationship:
    """Make ``child_slug`` a subproject of ``parent``; every broken rule is a 400 naming its field.

    The caller has already checked that ``principal`` may write ``parent``; the child is checked here
    because only the service knows which project the slug names.
    """
    child = db.session.scalar(select(Project).where(Project.slug == child_slug))
    child = _check_child(parent, principal, child, child_slug)
    lock_projects(parent, child)
    db.session.refresh(child)  # the lock may have waited for a writer that changed the child
    _check_nesting(parent, child)
    alias = alias or child.slug
    if _alias_taken(parent, alias):
        raise _invalid("alias", "A subproject with this alias already exists.")
    relation = ProjectRelationship(parent_id=parent.id, child_id=child.id, alias=alias)
    db.session.add(relation)
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent create won the race for this child or alias: report what it took, as a 400.
        db.session.rollback()
        raise _race_error(parent.id, child_slug, alias) from None
    return relation


def _race_error(parent_id: int, child_slug: str, alias: str) -> Exception:
    child_id = db.session.scalar(select(Project.id).where(Project.slug == child_slug))
    if child_id is not None and parent_id_of(child_id) is not None:
        return _invalid("child", f"Project '{child_slug}' is already a subproject.")
    taken = exists().where(ProjectRelationship.parent_id == parent_id, ProjectRelationship.alias == alias)
    if db.session.scalar(select(taken)):
        return _invalid("alias", "A subproject with this alias already exists.")
    return Conflict("The subproject changed while it was being created; retry.")


def delete_subproject(parent: Project, alias: str) -> None:
    """Unlink the child; both projects stay, the child is served on its own again.

    Looked up without the child-visibility filter: a parent's maintainer may always unlink a child,
    even one that has since become private to them.
    """
    stmt = select(ProjectRelationship).where(
        ProjectRelationship.parent_id == parent.id, ProjectRelationship.alias == alias
    )
    relation = db.session.scalar(stmt)
    if relation is None:
        raise NotFound("No ProjectRelationship matches the given query.")
    db.session.delete(relation)
    db.session.commit()
