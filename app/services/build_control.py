"""A build's life after the trigger: claiming a slot, waiting for one, finishing, and cancelling.

Every transition is a conditional UPDATE on the Build row (``WHERE state = ...``), so a worker
claiming a build and a user cancelling it can race without either overwriting the other; the
per-project slot count is checked under a short Redis lock because it spans several rows.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from enum import StrEnum
from typing import Any, cast

from flask import current_app
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import joinedload

from app.errors import Conflict
from app.extensions import BUILDS_QUEUE, db, get_queue, get_redis
from app.models import Build, Project, Version
from app.models.base import utcnow
from app.models.build import RUNNING_STATES
from app.services import notifications, projects, webhook_delivery
from app.services.builds import build_timeout
from app.services.queueing import RUN_BUILD, build_job_id
from app.services.tokens import revoke_build_tokens

log = logging.getLogger(__name__)

#: Seconds a build that found no free slot waits before its job runs again (a finishing build
#: starts waiting ones at once; this delay is the fallback).
WAIT_RETRY_SECONDS = 15


class Claim(StrEnum):
    STARTED = "started"  # the caller owns the build now (state ``cloning``)
    WAITING = "waiting"  # every slot of the project is taken; the build stays ``triggered``
    GONE = "gone"  # cancelled, already running elsewhere, or deleted: nothing to do


def _rowcount(stmt: Any) -> int:
    """Rows a conditional UPDATE changed: 0 means another process made the transition first."""
    result = cast(CursorResult[Any], db.session.execute(stmt))
    return result.rowcount


def concurrency_limit(project: Project) -> int:
    return max(1, project.max_concurrent_builds or current_app.config.get("MAX_CONCURRENT_BUILDS", 2))


def running_count(project_id: int) -> int:
    return db.session.scalar(
        select(func.count(Build.id)).where(Build.project_id == project_id, Build.state.in_(RUNNING_STATES))
    ) or 0


def claim_build(build_id: int) -> Claim:
    """Move a ``triggered`` build to ``cloning`` if its project has a free slot.

    The count and the claim run under the project row's lock (``projects.locked``), so two workers
    claiming builds of one project take turns and each counts the other's claim: the database that
    holds the slots is the one lock, and a build's start waits on no other service.
    """
    build = db.session.scalar(select(Build).options(joinedload(Build.project)).where(Build.id == build_id))
    if build is None or build.state != "triggered":
        return Claim.GONE
    if build.cancel_requested:
        cancel_triggered(build_id, "The build was cancelled before it started.")
        return Claim.GONE
    project = build.project
    limit = concurrency_limit(project)
    with projects.locked(project):  # commits on leaving; the count below sees every committed claim
        if running_count(project.id) >= limit:
            return Claim.WAITING
        claimed = _rowcount(_claim_statement(build_id))
    return Claim.STARTED if claimed else Claim.GONE


def _claim_statement(build_id: int) -> Any:
    return (
        update(Build)
        .where(Build.id == build_id, Build.state == "triggered", Build.cancel_requested.is_(False))
        .values(state="cloning", started=utcnow())
    )


def warm_up() -> None:
    """Run the claim's statements once, against no row, in the worker before it forks.

    SQLAlchemy caches compiled SQL on the engine; a work horse forked afterwards inherits the cache
    and claims its build without compiling anything, which is most of what separates a build's
    start from RQ's own job start (``make bench``, figure 4).
    """
    claim_build(0)  # there is no build 0: the lookup runs and the claim stops there
    with projects.locked(Project(id=0)):  # no such project: the lock and the claim touch no row
        running_count(0)
        _rowcount(_claim_statement(0))


def attempt_job_id(build_id: int, current: str | None) -> str:
    """``build-<id>``, then ``build-<id>-2``, ``-3``...: deterministic, and distinct per attempt."""
    base = build_job_id(build_id)
    if not current or not current.startswith(base):
        return f"{base}-2"
    suffix = current[len(base) + 1:]
    return f"{base}-{int(suffix) + 1 if suffix.isdigit() else 2}"


def enqueue_attempt(build: Build, delay: int = 0) -> str:
    """Queue a new job for a ``triggered`` build (now, or after ``delay`` seconds) and store its id."""
    job_id = attempt_job_id(build.id, build.job_id)
    queue = get_queue(BUILDS_QUEUE)
    timeout = build_timeout(build.project) + 300
    if delay:
        queue.enqueue_in(timedelta(seconds=delay), RUN_BUILD, build.id, job_id=job_id, job_timeout=timeout,
                         result_ttl=3600, failure_ttl=7 * 24 * 3600)
    else:
        queue.enqueue(RUN_BUILD, build.id, job_id=job_id, job_timeout=timeout, result_ttl=3600,
                      failure_ttl=7 * 24 * 3600)
    build.job_id = job_id
    db.session.commit()
    return job_id


def defer_build(build_id: int) -> None:
    """No slot: try again later. The build is never failed for waiting."""
    build = db.session.get(Build, build_id)
    if build is not None and build.state == "triggered":
        enqueue_attempt(build, delay=WAIT_RETRY_SECONDS)


def job_status(job_id: str | None) -> JobStatus | None:
    if not job_id:
        return None
    try:
        return Job.fetch(job_id, connection=get_redis()).get_status(refresh=False)
    except NoSuchJobError:
        return None


def _drop_job(job_id: str | None) -> None:
    if not job_id:
        return
    with contextlib.suppress(NoSuchJobError, InvalidJobOperation):
        Job.fetch(job_id, connection=get_redis()).cancel()


def start_waiting_builds(project_id: int) -> list[int]:
    """A slot freed up: run the oldest waiting builds now instead of at their delayed retry."""
    project = db.session.get(Project, project_id)
    if project is None:
        return []
    free = concurrency_limit(project) - running_count(project_id)
    if free <= 0:
        return []
    waiting = db.session.scalars(
        select(Build).where(Build.project_id == project_id, Build.state == "triggered",
                            Build.cancel_requested.is_(False)).order_by(Build.id)
    ).all()
    started: list[int] = []
    for build in waiting:
        if len(started) >= free:
            break
        if job_status(build.job_id) in (JobStatus.QUEUED, JobStatus.STARTED):
            continue  # already on its way; it takes a slot by itself
        _drop_job(build.job_id)
        enqueue_attempt(build)
        started.append(build.id)
    return started


def finish_build(build: Build, *, success: bool, error: str | None = None, state: str = "finished",
                 formats: list[str] | None = None) -> None:
    """Final state, duration, and on success the version's ``built`` flags; then free the slot."""
    build.state = state
    build.success = success
    build.error = error
    build.finished = utcnow()
    revoke_build_tokens(build.id)  # the build's API token dies with it
    if success and build.version_id is not None:
        version = db.session.get(Version, build.version_id)
        if version is not None:
            version.built = True
            version.built_formats = sorted(formats or [])
    notifications.build_finished(build)
    db.session.commit()
    try:
        start_waiting_builds(build.project_id)
    except Exception:  # Redis hiccup: the delayed retry or housekeeping starts them instead
        log.warning("could not start waiting builds of project %s", build.project_id, exc_info=True)
    webhook_delivery.fire(build, webhook_delivery.finish_event(build))  # never raises


def cancel_triggered(build_id: int, error: str) -> bool:
    """``triggered`` → ``cancelled`` only if still triggered; False when a worker claimed it first."""
    done = _rowcount(
        update(Build).where(Build.id == build_id, Build.state == "triggered")
        .values(state="cancelled", success=False, finished=utcnow(), error=error)
    )
    if done:
        build = db.session.get(Build, build_id)
        if build is not None:
            db.session.refresh(build)
            notifications.build_finished(build)
    db.session.commit()
    return bool(done)


def cancel_build(build: Build) -> Build:
    """Cancel: a queued build never starts; a running one is asked to stop (the worker polls the flag)."""
    if build.is_final:
        raise Conflict(f"Build {build.id} has already finished ({build.state}); there is nothing to cancel.")
    build_id, job_id = build.id, build.job_id
    if cancel_triggered(build_id, "The build was cancelled before it started."):
        _drop_job(job_id)
    else:  # it started meanwhile (or was already running): ask the pipeline to stop
        db.session.execute(
            update(Build).where(Build.id == build_id, Build.state.in_(RUNNING_STATES))
            .values(cancel_requested=True)
        )
        db.session.commit()
    db.session.refresh(build)
    return build


def cancel_requested(build_id: int) -> bool:
    """Read the flag on a fresh connection, outside the caller's transaction (which may be stale)."""
    with db.engine.connect() as conn:
        return bool(conn.scalar(select(Build.cancel_requested).where(Build.id == build_id)))
