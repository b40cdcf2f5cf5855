"""Quotas: how many projects a user maintains, how many unfinished builds they triggered.

Exceeding one is a 429 ``quota_exceeded`` whose body names the quota, its limit and current use, so
a client can tell it from a rate limit (which clears by itself). Admins are exempt; 0 disables one.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app.errors import QuotaExceeded
from app.extensions import db
from app.models import Build, User
from app.models.build import FINAL_STATES
from app.models.project import project_maintainers


def _limit(setting: str) -> int:
    return int(current_app.config.get(setting) or 0)


def _exceeded(name: str, limit: int, used: int, detail: str) -> QuotaExceeded:
    return QuotaExceeded(detail, extra={"quota": {"name": name, "limit": limit, "used": used}})


def projects_used(user: User) -> int:
    stmt = (
        select(func.count()).select_from(project_maintainers).where(project_maintainers.c.user_id == user.id)
    )
    return db.session.scalar(stmt) or 0


def check_new_project(user: User) -> None:
    limit = _limit("MAX_PROJECTS_PER_USER")
    if limit <= 0 or user.is_admin:
        return
    used = projects_used(user)
    if used >= limit:
        raise _exceeded(
            "projects_per_user",
            limit,
            used,
            f"Project quota exceeded: you maintain {used} projects and the limit is {limit}.",
        )


def active_builds(user: User) -> int:
    """Unfinished builds this user triggered (webhook and sync builds belong to nobody)."""
    stmt = select(func.count(Build.id)).where(
        Build.triggered_by_id == user.id, Build.state.not_in(FINAL_STATES)
    )
    return db.session.scalar(stmt) or 0


def check_active_builds(user: User) -> None:
    """Checked before a trigger; a trigger that supersedes a queued build is still counted (simple)."""
    limit = _limit("MAX_ACTIVE_BUILDS_PER_USER")
    if limit <= 0 or user.is_admin:
        return
    used = active_builds(user)
    if used >= limit:
        raise _exceeded(
            "active_builds_per_user",
            limit,
            used,
            f"Build quota exceeded: {used} builds you triggered are unfinished and the limit is {limit}.",
        )
