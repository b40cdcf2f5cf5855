"""Which versions and translations readers are shown (flyout, sitemap), and in which order.

Hidden versions are served but never listed; private ones are listed only to readers who may open
them; inactive or unbuilt ones have nothing to show. Versions sort by version number, newest first
(``packaging.version`` where the name parses), after ``latest`` and ``stable``; names that are not
version numbers come last, alphabetically.
"""

from __future__ import annotations

from packaging.version import InvalidVersion
from packaging.version import Version as PackagingVersion
from sqlalchemy import select

from app.extensions import db
from app.models import Project, Version
from app.serving import access
from app.serving.resolver import default_version_slug

_PINNED = {"latest": 0, "stable": 1}


def sort_key(version: Version) -> tuple[int, object]:
    """``latest``, ``stable``, then version numbers descending, then other names ascending."""
    if version.slug in _PINNED:
        return (_PINNED[version.slug], 0)
    for name in (version.verbose_name, version.slug):
        try:
            return (2, _Descending(PackagingVersion(name)))
        except InvalidVersion:
            continue
    return (3, version.slug)


class _Descending:
    """Wraps a version so that a plain ascending sort puts the highest first."""

    def __init__(self, value: PackagingVersion) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def sort_versions(versions: list[Version]) -> list[Version]:
    return sorted(versions, key=sort_key)


def _listable(project: Project) -> list[Version]:
    stmt = select(Version).where(
        Version.project_id == project.id,
        Version.active.is_(True),
        Version.built.is_(True),
        Version.hidden.is_(False),
        Version.type != "external",  # previews are listed nowhere on the docs origin
    )
    versions = list(db.session.scalars(stmt))
    if project.single_version:  # such a project serves one version only: the default
        default = default_version_slug(project)
        versions = [v for v in versions if v.slug == default]
    return versions


def visible_versions(project: Project) -> list[Version]:
    """Active, built, not hidden, and readable by the current reader; sorted."""
    return sort_versions([v for v in _listable(project) if access.can_view(project, v)])


def public_versions(project: Project) -> list[Version]:
    """What anyone may see, for search engines (sitemap.xml)."""
    return sort_versions([v for v in _listable(project) if v.privacy_level == "public"])


def hidden_public_versions(project: Project) -> list[Version]:
    """Hidden versions anyone could open: robots.txt asks crawlers to keep away from them."""
    stmt = select(Version).where(
        Version.project_id == project.id,
        Version.active.is_(True),
        Version.built.is_(True),
        Version.hidden.is_(True),
        Version.privacy_level == "public",
        Version.type != "external",
    )
    return sort_versions(list(db.session.scalars(stmt)))


def translations(project: Project, *, public_only: bool = False) -> list[Project]:
    """The other languages of this documentation: the main project and its translations, minus this one."""
    main = project.main_language_project or project
    stmt = select(Project).where(Project.main_language_project_id == main.id)
    candidates = [main, *db.session.scalars(stmt)]
    out = [
        p
        for p in candidates
        if p.id != project.id and (p.privacy_level == "public" if public_only else access.can_view(p))
    ]
    return sorted(out, key=lambda p: (p.language, p.slug))
