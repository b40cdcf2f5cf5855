"""Version sync: a repository's branches and tags become versions; ``latest``/``stable`` are maintained.

The worker lists the refs (git lives in ``workers/``); the rules live here so the API, a job and a
test apply the same ones. Rules, as the contract states them:

* every branch and tag is a version; new ones start inactive, vanished ones are deactivated;
* ``latest`` (machine) follows the default branch and is active;
* ``stable`` (machine) follows the highest non-prerelease PEP 440 tag (branches when no tag
  qualifies) and names it in ``ref``;
* a real branch or tag called ``latest``/``stable`` wins over the machine version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440
from sqlalchemy import select

from app import storage
from app.extensions import db
from app.models import Project, Version
from app.services import notifications, search

MACHINE_SLUGS = ("latest", "stable")


@dataclass(frozen=True)
class Ref:
    """One branch or tag as git reports it; ``commit`` is the peeled commit sha."""

    name: str
    type: str  # "branch" | "tag"
    commit: str

    @property
    def identifier(self) -> str:
        # Read the Docs' convention: a branch is checked out by name, a tag by its commit.
        return self.name if self.type == "branch" else self.commit


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def version_slug(name: str) -> str:
    """Read the Docs-like slug: lowercase, ``[a-z0-9._-]``, anything else becomes ``-``."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower())
    slug = re.sub(r"-{2,}", "-", slug).strip("-._")
    return slug or "unknown"


def stable_candidate(refs: Iterable[Ref]) -> Ref | None:
    """Highest non-prerelease PEP 440 tag; branches only count when no tag qualifies (as on RTD)."""
    best: dict[str, tuple[Pep440, Ref]] = {}
    for ref in refs:
        try:
            parsed = Pep440(ref.name)
        except InvalidVersion:
            continue
        if parsed.is_prerelease:
            continue
        current = best.get(ref.type)
        if current is None or parsed > current[0]:
            best[ref.type] = (parsed, ref)
    chosen = best.get("tag") or best.get("branch")
    return chosen[1] if chosen else None


def sync_versions(project: Project, refs: list[Ref], default_branch: str | None) -> SyncResult:
    """Apply the repository's refs to the project's versions and commit."""
    result = SyncResult()
    versions = list(db.session.scalars(select(Version).where(Version.project_id == project.id)))
    by_slug = {v.slug: v for v in versions}
    by_ref = {(v.type, v.verbose_name): v for v in versions if not v.machine}
    seen: set[int] = set()

    for ref in refs:
        version, change = follow_ref(project, by_slug, ref, by_ref.get((ref.type, ref.name)))
        if change == "created":
            result.created.append(version.slug)
        elif change == "updated":
            result.updated.append(version.slug)
        by_ref[(ref.type, ref.name)] = version
        seen.add(id(version))

    real = {version_slug(r.name) for r in refs}  # a ref slugged latest/stable owns that version
    if "latest" not in real:
        _sync_latest(project, by_slug, default_branch, result)
    if "stable" not in real:
        _sync_stable(project, by_slug, stable_candidate(refs), result)

    removed: list[str] = []
    for version in by_slug.values():
        if version.machine or id(version) in seen or version.type not in ("branch", "tag"):
            continue
        if version.active:
            version.active = False
            version.built = False
            version.built_formats = []
            search.remove_version_index(version.id)
            removed.append(version.slug)
            result.deactivated.append(version.slug)
            notifications.version_deactivated(project, version)
    db.session.commit()
    for slug in removed:  # deactivating removes the built files, as a PATCH active=false does
        storage.remove_version(project.slug, slug)
    return result


def follow_ref(project: Project, by_slug: dict[str, Version], ref: Ref, version: Version | None = None,
               *, active: bool = False) -> tuple[Version, str | None]:
    """Point a version at ``ref``: ``version`` (the one already following it), else the machine
    ``latest``/``stable`` a real ref of that name takes over, else a new one on a free slug (inactive
    unless ``active``). Returns it with ``"created"``, ``"updated"`` or None (nothing changed)."""
    slug = version_slug(ref.name)
    if version is None and slug in MACHINE_SLUGS and slug in by_slug:
        version = by_slug[slug]
    if version is None:
        slug = _free_slug(slug, by_slug)
        version = Version(project_id=project.id, slug=slug, active=active, machine=False, built_formats=[])
        db.session.add(version)
        by_slug[slug] = version
        change: str | None = "created"
    elif (version.identifier, version.type, version.machine) != (ref.identifier, ref.type, False):
        change = "updated"
    else:
        change = None
    version.verbose_name, version.identifier, version.type = ref.name, ref.identifier, ref.type
    version.machine, version.ref = False, None
    return version, change


def _free_slug(slug: str, taken: dict[str, Version]) -> str:
    if slug not in taken:
        return slug
    n = 1
    while f"{slug}_{n}" in taken:
        n += 1
    return f"{slug}_{n}"


def _machine(project: Project, by_slug: dict[str, Version], slug: str, result: SyncResult) -> Version:
    version = by_slug.get(slug)
    if version is None:
        version = Version(project_id=project.id, slug=slug, verbose_name=slug, active=True, machine=True,
                          built_formats=[])
        db.session.add(version)
        by_slug[slug] = version
        result.created.append(slug)
    elif not version.machine:
        version.machine = True  # the real ``latest``/``stable`` branch is gone: Docshelf manages it again
        version.verbose_name = slug
        result.updated.append(slug)
    return version


def _sync_latest(project: Project, by_slug: dict[str, Version], default_branch: str | None,
                 result: SyncResult) -> None:
    if not default_branch and "latest" in by_slug:
        return
    version = _machine(project, by_slug, "latest", result)
    identifier = default_branch or version.identifier
    if (version.identifier, version.type) != (identifier, "branch") and "latest" not in result.created:
        result.updated.append("latest")
    version.identifier = identifier
    version.type = "branch"
    version.ref = None


def _sync_stable(project: Project, by_slug: dict[str, Version], candidate: Ref | None,
                 result: SyncResult) -> None:
    if candidate is None:
        return  # keep an existing machine ``stable`` as it is; nothing qualifies to replace it
    version = _machine(project, by_slug, "stable", result)
    new = (candidate.identifier, candidate.type, candidate.name)
    if (version.identifier, version.type, version.ref) != new and "stable" not in result.created:
        result.updated.append("stable")
    version.identifier, version.type, version.ref = new
