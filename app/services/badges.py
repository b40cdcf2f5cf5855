"""A version's build status for its badge: what anyone may know, so it is decided as for anonymous.

``passing``/``failing`` is the result of the version's last finished build (a cancelled one says
nothing about the docs); ``unknown`` covers everything else alike: no such project or version, a
private one, an inactive version, no finished build yet. A private project's badge is thus the same
as a missing one's, so a badge never tells whether a private project exists.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select

from app.extensions import db
from app.models import Build, Project
from app.models.version import find_version
from app.policy import can_read

BadgeStatus = Literal["passing", "failing", "unknown"]


def badge_status(project_slug: str, version_slug: str | None = None) -> BadgeStatus:
    """The status of ``version_slug`` (default: the project's default version) for anyone."""
    project = db.session.scalar(select(Project).where(Project.slug == project_slug))
    if project is None or not can_read(None, project):
        return "unknown"
    version = find_version(project, version_slug or project.default_version)
    if version is None or version.privacy_level != "public" or not version.active:
        return "unknown"
    success = db.session.scalar(
        select(Build.success)
        .where(Build.version_id == version.id, Build.state == "finished")
        .order_by(Build.id.desc())
        .limit(1)
    )
    if success is None:
        return "unknown"
    return "passing" if success else "failing"
