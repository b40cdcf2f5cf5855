"""Versions: listing with Read the Docs' filters, and the update rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from app import storage
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Build, Project, User, Version


def visible_to(user: User | None, project: Project) -> bool:
    """Private versions: for admins, maintainers and users the project was shared with (read grants)."""
    from app.auth import has_private_access

    return has_private_access(user, project)


def versions_query(
    project: Project, user: User | None, filters: dict[str, Any], with_last_build: bool = False
) -> Select[Version]:
    stmt = select(Version).where(Version.project_id == project.id).options(joinedload(Version.project))
    if not visible_to(user, project):
        stmt = stmt.where(Version.privacy_level == "public")
    for name in ("active", "built", "hidden", "slug", "verbose_name", "type", "privacy_level"):
        if name in filters:
            stmt = stmt.where(getattr(Version, name) == filters[name])
    if with_last_build:
        stmt = stmt.options(selectinload(Version.last_build).joinedload(Build.project))
    return stmt.order_by(Version.id)


def get_version(project: Project, user: User | None, slug: str, with_last_build: bool = False) -> Version:
    version = db.session.scalars(versions_query(project, user, {"slug": slug}, with_last_build)).first()
    if version is None:
        raise NotFound("No Version matches the given query.")
    return version


def update_version(version: Version, data: dict[str, Any]) -> bool:
    """Apply an update; returns True when the version was just activated (the caller builds it)."""
    project = version.project
    if data.get("active") is False and version.slug == project.default_version:
        raise ValidationError(
            "The default version of a project cannot be deactivated.",
            errors={"active": ["The default version of a project cannot be deactivated."]},
        )
    activated = data.get("active") is True and not version.active
    deactivated = data.get("active") is False and version.active
    for name in ("active", "hidden", "privacy_level"):
        if name in data:
            setattr(version, name, data[name])
    if deactivated:
        version.built = False
        version.built_formats = []
    db.session.commit()
    if deactivated:
        storage.remove_version(project.slug, version.slug)
    return activated
