"""Builds: trigger (row first, then the RQ job), superseding older ones, and the queries behind the lists."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload, undefer

from app import locks
from app.errors import NotFound, RetryableError, ValidationError
from app.extensions import db
from app.models import Build, BuildCommand, Project, User, Version
from app.models.build import FINAL_STATES, RUNNING_STATES
from app.services import forge_status, webhook_delivery
from app.services.build_control import finish_build
from app.services.queueing import build_job_id, build_lifetime, enqueue_build
from app.services.quotas import check_active_builds

log = logging.getLogger(__name__)


def builds_query(project: Project, filters: dict[str, Any], version: Version | None = None) -> Select[Build]:
    stmt = select(Build).where(Build.project_id == project.id).options(joinedload(Build.project))
    if version is not None:
        stmt = stmt.where(Build.version_id == version.id)
    if "commit" in filters:
        stmt = stmt.where(Build.commit == filters["commit"])
    if "running" in filters:
        running = Build.state.not_in(FINAL_STATES)
        stmt = stmt.where(running if filters["running"] else ~running)
    return stmt.order_by(Build.id.desc())


def get_build(project: Project, build_id: int, version: Version | None = None) -> Build:
    stmt = builds_query(project, {}, version).where(Build.id == build_id)
    build = db.session.scalars(stmt).first()
    if build is None:
        raise NotFound("No Build matches the given query.")
    return build


def trigger_build(project: Project, version: Version, user: User | None = None) -> Build:
    """Create the Build row, commit, then enqueue ``build-<id>``; older unfinished builds are cancelled."""
    if user is not None:  # a person's unfinished builds are capped; webhooks' and syncs' belong to nobody
        check_active_builds(user)
    if not version.active:
        raise ValidationError(
            f"Version '{version.slug}' is not active; activate it to build it.", extra={"triggered": False}
        )
    # Under the version's lock two simultaneous triggers take turns, so the later one gets the higher
    # id and is the version's last build (READ COMMITTED on PostgreSQL).
    locks.lock_rows(Version, [version.id])
    build = Build(
        project_id=project.id,
        version_id=version.id,
        version_slug=version.slug,
        state="triggered",
        job_id=None,
        triggered_by_id=user.id if user else None,
        external_url=version.external_url if version.type == "external" else None,
    )
    db.session.add(build)
    db.session.flush()
    build_id, version_id, lifetime = build.id, version.id, build_lifetime(project)  # the commit expires them
    build.job_id = build_job_id(build_id)
    version.last_build_id = build_id
    db.session.commit()
    try:
        enqueue_build(build_id, lifetime)  # straight from the commit to the queue: no query in between
    except Exception as exc:  # Redis down: the row must not pretend the build is on its way
        log.warning("could not enqueue build %s: %s", build_id, exc)
        finish_build(build, success=False, error="The build could not be queued (the queue is unavailable).",
                     state="cancelled", from_states=("triggered",))
        raise RetryableError(
            "The build queue is unavailable; the build was not started. Retry shortly.",
            extra={"triggered": False},
            headers={"Retry-After": "5"},
        ) from exc
    supersede_older(version_id, build_id)
    webhook_delivery.fire(build, "build:triggered", project)  # never raises; only once truly queued
    forge_status.report(build)  # a pull request's "pending" (queued; never raises)
    return build


def supersede_older(version_id: int, build_id: int | None,
                    reason: str = "Superseded by a newer build of the same version.") -> None:
    """A newer build of a version supersedes its queued builds and asks running ones to stop.

    Only builds older than ``build_id`` are touched, so two triggers racing each leave the newer
    build alone and the newest one survives; each queued build ends through ``finish_build``.
    ``build_id`` None stops every unfinished build of the version (a closed pull request's).
    """
    older = (Build.version_id == version_id, *(() if build_id is None else (Build.id < build_id,)))
    queued = select(Build).where(*older, Build.state == "triggered").order_by(Build.id)
    for build in db.session.scalars(queued).all():
        finish_build(build, success=False, error=reason,
                     state="cancelled", from_states=("triggered",))
    db.session.execute(
        update(Build).where(*older, Build.state.in_(RUNNING_STATES)).values(cancel_requested=True)
    )
    db.session.commit()


def last_successful_build(version_id: int, with_manifest: bool = False) -> Build | None:
    """The version's last successful build: what it serves (the addons' current build, the base a
    preview is compared with, the site an upload or a rebuild need not send again)."""
    stmt = select(Build).where(Build.version_id == version_id, Build.state == "finished",
                               Build.success.is_(True)).order_by(Build.id.desc()).limit(1)
    return db.session.scalar(stmt.options(undefer(Build.manifest)) if with_manifest else stmt)


def commands_query(build: Build) -> Select[Any]:
    """A build's commands in the order they ran (the log is readable while the build runs)."""
    return select(BuildCommand).where(BuildCommand.build_id == build.id).order_by(BuildCommand.id)
