"""Bulk rows for the API figures: SQLAlchemy Core ``executemany`` in batches into the migrated schema.

Projects are maintained by a given user; each gets :data:`VERSIONS` versions (some active) and
:data:`BUILDS` finished builds. The ORM would take minutes for 10,000 projects; Core inserts take
seconds on SQLite and PostgreSQL alike, and the rows are the same the API would have written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from app.models import Build, Project, Version
from app.models.project import project_maintainers

VERSIONS = 5
BUILDS = 10
BATCH = 5000
REPOSITORY = "https://example.com/{slug}.git"


def _batched(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for start in range(0, len(rows), BATCH):
            conn.execute(table.insert(), rows[start:start + BATCH])


def seed_projects(engine: Engine, owner_id: int, prefix: str, count: int, start: int = 0) -> list[str]:
    """Insert ``count`` projects ``<prefix>-<n>`` with their versions and builds; return their slugs."""
    now = datetime.now(UTC)
    slugs = [f"{prefix}-{n:05d}" for n in range(start, start + count)]
    _batched(engine, Project.__table__, [
        {"name": slug.replace("-", " ").title(), "slug": slug, "language": "en",
         "programming_language": "py", "homepage": None, "repository_url": REPOSITORY.format(slug=slug),
         "repository_type": "git", "default_version": "latest", "default_branch": "main",
         "privacy_level": "public", "external_builds_privacy_level": "public",
         "versioning_scheme": "multiple_versions_with_translations", "tags": ["bench", "docs"],
         "created": now, "modified": now}
        for slug in slugs
    ])
    with engine.connect() as conn:
        ids = list(conn.scalars(select(Project.id).where(Project.slug.in_(slugs)).order_by(Project.id)))
    _batched(engine, project_maintainers, [{"project_id": pid, "user_id": owner_id} for pid in ids])
    names = ["latest", "stable", "main", "1.0", "2.0"][:VERSIONS]
    _batched(engine, Version.__table__, [
        {"project_id": pid, "slug": name.replace(".", "-") if name[0].isdigit() else name,
         "verbose_name": name, "identifier": "main" if name in ("latest", "main") else name,
         "ref": "2.0" if name == "stable" else None, "type": "tag" if name[0].isdigit() else "branch",
         "active": n < 3, "hidden": False, "built": n < 3, "privacy_level": "public",
         "machine": name in ("latest", "stable"), "built_formats": ["htmlzip"] if n < 3 else [],
         "created": now, "modified": now}
        for pid in ids for n, name in enumerate(names)
    ])
    with engine.connect() as conn:
        latest = dict(conn.execute(select(Version.project_id, Version.id)
                                   .where(Version.project_id.in_(ids), Version.slug == "latest")).all())
    _batched(engine, Build.__table__, [
        {"project_id": pid, "version_id": latest[pid], "version_slug": "latest", "state": "finished",
         "success": b % 7 != 3, "error": None if b % 7 != 3 else "Sphinx exited with status 2.",
         "commit": f"{pid:020x}{b:020x}",
         "config": {"version": 2, "sphinx": {"configuration": "docs/conf.py"}},
         "triggered_by_id": owner_id, "job_id": None, "cancel_requested": False,
         "created": now - timedelta(minutes=BUILDS - b), "started": now - timedelta(minutes=BUILDS - b),
         "finished": now - timedelta(minutes=BUILDS - b, seconds=-30)}
        for pid in ids for b in range(BUILDS)
    ])
    return slugs


def user_id(engine: Engine, username: str) -> int:
    from app.models import User

    with engine.connect() as conn:
        found = conn.scalar(select(User.id).where(User.username == username))
    assert found is not None, username
    return int(found)
