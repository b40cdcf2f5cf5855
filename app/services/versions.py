"""Versions: listing with Read the Docs' filters, and the update rules (activating a version builds it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import joinedload, selectinload

from app import storage
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Build, Project, User, Version
from app.models.version import find_version
from app.policy import Principal, has_private_access
from app.services import search
from app.services.builds import trigger_build
from app.services.quotas import check_active_builds


def versions_query(
    project: Project, principal: Principal | None, filters: dict[str, Any], with_last_build: bool = False
) -> Select[Version]:
    """Private versions only for those with private access to the project (admin, maintainer, grant)."""
    stmt = select(Version).where(Version.project_id == project.id).options(joinedload(Version.project))
    if not has_private_access(principal, project):
        stmt = stmt.where(Version.privacy_level == "public")
    for name in ("active", "built", "hidden", "slug", "verbose_name", "type", "privacy_level"):
        if name in filters:
            stmt = stmt.where(getattr(Version, name) == filters[name])
    if with_last_build:
        stmt = stmt.options(selectinload(Version.last_build).joinedload(Build.project))
    return stmt.order_by(Version.id)


def get_version(project: Project, principal: Principal | None, slug: str) -> Version:
    """The version as the API shows it: the one lookup, then the reader rule of :func:`versions_query`
    (a private version is missing for whoever lacks private access)."""
    version = find_version(project, slug)
    if version is None or (version.privacy_level != "public" and not has_private_access(principal, project)):
        raise NotFound("No Version matches the given query.")
    return version


def update_version(version: Version, data: dict[str, Any], user: User | None = None) -> Version:
    """Apply an update; activating a version builds it, as a build ``user`` triggered.

    The build quota is checked before anything changes, so a refused build leaves the version as
    it was rather than active and unbuilt.
    """
    project = version.project
    if data.get("active") is False and version.slug == project.default_version:
        raise ValidationError(
            "The default version of a project cannot be deactivated.",
            errors={"active": ["The default version of a project cannot be deactivated."]},
        )
    activated = data.get("active") is True and not version.active
    deactivated = data.get("active") is False and version.active
    if activated and user is not None:
        check_active_builds(user)
    for name in ("active", "hidden", "privacy_level"):
        if name in data:
            setattr(version, name, data[name])
    if deactivated:
        version.built = False
        version.built_formats = []
        search.remove_version_index(version.id)  # in the same transaction as the flag
    db.session.commit()
    if deactivated:
        storage.remove_version(project.slug, version.slug)
    if activated:
        trigger_build(project, version, user)
    return version


def alias_of(version: Version) -> Version | None:
    """The version a machine ``latest``/``stable`` stands for, as Read the Docs' ``aliases`` answer
    it: the branch ``latest`` follows, the tag or branch ``stable`` follows, when that version is
    active; and only a public one under a public ``latest``/``stable``, so a private version never
    shows through a public one. The project's versions are searched when loaded (lists expanding
    ``active_versions``), else it costs one query per machine version."""
    if not version.machine or version.slug not in ("latest", "stable"):
        return None
    name = version.ref if version.slug == "stable" else version.identifier
    if not name:
        return None
    project = version.project
    if "versions" not in inspect(project).unloaded:
        found = next((v for v in project.versions
                      if not v.machine and v.verbose_name == name and v.type == version.type), None)
    else:
        found = db.session.scalars(
            select(Version).where(Version.project_id == project.id, Version.machine.is_(False),
                                  Version.verbose_name == name, Version.type == version.type)
            .order_by(Version.id).limit(1)
        ).first()
    if found is None or not alias_shown(version.privacy_level, found.active, found.privacy_level):
        return None
    return found


def alias_shown(machine_privacy: str, alias_active: bool, alias_privacy: str) -> bool:
    """Whether ``latest``/``stable`` list the version they stand for: an active one, and never a
    private one under a public ``latest``/``stable`` (the rows-built reads ask this too)."""
    return alias_active and not (alias_privacy != "public" and machine_privacy == "public")
