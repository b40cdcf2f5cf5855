"""A build's life after the trigger: claiming a slot, waiting for one, finishing, and cancelling.

Every transition is a conditional UPDATE on the Build row (``WHERE state = ...``), so a worker
claiming a build and a user cancelling it can race without either overwriting the other; the
per-project slot count is checked under the project row's lock because it spans several rows.
Every way a build ends goes through :func:`finish_build`.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Integer, String, bindparam, func, select, update
from sqlalchemy.orm import aliased

from app import locks
from app.errors import Conflict
from app.extensions import db
from app.models import Build, Project, Version
from app.models.base import UTCDateTime, utcnow
from app.models.build import RUNNING_STATES
from app.services import build_logs, forge_status, notifications, queueing, webhook_delivery
from app.services.tokens import revoke_build_tokens

log = logging.getLogger(__name__)

#: Seconds a build that found no free slot waits before its job runs again (a finishing build
#: starts waiting ones at once; this delay is the fallback).
WAIT_RETRY_SECONDS = 15
#: The job id :func:`warm_up` claims with (no job has it; it only shapes the compiled statements).
WARM_UP_JOB = "warm-up"
#: The states a build can end from: every state but the final ones.
UNFINISHED = ("triggered", *RUNNING_STATES)
CANCELLED_BEFORE_START = "The build was cancelled before it started."


class Claim(StrEnum):
    STARTED = "started"  # the caller owns the build now (state ``cloning``)
    WAITING = "waiting"  # every slot of the project is taken; the build stays ``triggered``
    GONE = "gone"  # cancelled, already running elsewhere, or deleted: nothing to do


def _rowcount(stmt: Any) -> int:
    """Rows a conditional UPDATE changed: 0 means another process made the transition first."""
    result = cast(CursorResult[Any], db.session.execute(stmt))
    return result.rowcount


def concurrency_limit(project: Project) -> int:
    return _limit(project.max_concurrent_builds)


def _limit(max_concurrent_builds: int | None) -> int:
    return max(1, max_concurrent_builds or current_app.config.get("MAX_CONCURRENT_BUILDS", 2))


def running_count(project_id: int) -> int:
    return db.session.scalar(
        select(func.count(Build.id)).where(Build.project_id == project_id, Build.state.in_(RUNNING_STATES))
    ) or 0


# The claim's statements are built once: it runs in the worker process between dequeuing a build's
# job and forking its work horse, where any delay is the build's start latency.
_LOOKUP = (
    select(Build.state, Build.job_id, Build.cancel_requested, Build.project_id, Project.max_concurrent_builds)
    .join(Project, Project.id == Build.project_id)
    .where(Build.id == bindparam("claim_build"))
)
_running = aliased(Build)
#: ``triggered`` → ``cloning`` only while the project's running builds are under its limit; run
#: under the project's lock, the count inside the UPDATE sees every committed claim.
_CLAIM = (
    update(Build)
    .where(
        Build.id == bindparam("claim_build"),
        Build.state == "triggered",
        Build.cancel_requested.is_(False),
        select(func.count(_running.id))
        .where(_running.project_id == bindparam("claim_project"), _running.state.in_(RUNNING_STATES))
        .scalar_subquery() < bindparam("claim_limit", type_=Integer),
    )
    .values(state="cloning", started=bindparam("claim_started", type_=UTCDateTime),
            job_id=func.coalesce(bindparam("claim_job", type_=String), Build.job_id))
    .execution_options(synchronize_session=False)
)


def claim_build(build_id: int, job_id: str | None = None) -> Claim:
    """Move a ``triggered`` build to ``cloning`` if its project has a free slot.

    The claim runs under the project row's lock (``app.locks``), so two workers claiming
    builds of one project take turns and each counts the other's claim: the database that holds
    the slots is the one lock, and a build's start waits on no other service.

    ``job_id`` is the RQ job (one attempt) claiming. The claim stores it in ``Build.job_id``, and a
    build this very attempt already claimed is STARTED again rather than GONE: the worker process
    claims before it forks the work horse (``workers.cli``), and the horse, claiming as every job
    does, must find its own build ready. Job ids are unique per attempt and an attempt runs once.
    """
    row = db.session.execute(_LOOKUP, {"claim_build": build_id}).first()
    if row is None:
        return Claim.GONE
    if job_id is not None and row.state == "cloning" and row.job_id == job_id:
        return Claim.STARTED  # a cancel that came in meanwhile stops it at the pipeline's first step
    if row.state != "triggered":
        return Claim.GONE
    if row.cancel_requested:
        cancel_triggered(build_id, CANCELLED_BEFORE_START)
        return Claim.GONE
    limit = _limit(row.max_concurrent_builds)
    with locks.locked(Project, row.project_id):  # commits on leaving
        if _claim(build_id, row.project_id, limit, job_id):
            return Claim.STARTED
        full = running_count(row.project_id) >= limit  # no claim: find out why, still under the lock
    return Claim.WAITING if full else Claim.GONE


def _claim(build_id: int, project_id: int, limit: int, job_id: str | None) -> bool:
    params = {"claim_build": build_id, "claim_project": project_id, "claim_limit": limit,
              "claim_started": utcnow(), "claim_job": job_id}
    return bool(cast(CursorResult[Any], db.session.execute(_CLAIM, params)).rowcount)


def warm_up() -> None:
    """Run the claim's statements once, against no row, in the worker before it forks.

    SQLAlchemy caches compiled SQL on the engine; a work horse forked afterwards inherits the cache
    and claims its build without compiling anything, and so does the worker's own first claim.
    """
    claim_build(0, WARM_UP_JOB)  # there is no build 0: the lookup runs and the claim stops there
    with locks.locked(Project, 0):  # no such project: the lock and the claim touch no row
        running_count(0)
        _claim(0, 0, 1, WARM_UP_JOB)


def enqueue_attempt(build: Build, delay: int = 0) -> str | None:
    """Queue a new job for a ``triggered`` build (now, or after ``delay`` seconds) and store its id.

    The new id replaces the one this caller saw, compare-and-set, and is committed before the job is
    queued: of two parties starting the same build at once (two finishing builds waking it), one
    wins and the other queues nothing (None). A build an older attempt claimed meanwhile is left
    alone too, since overwriting the claimer's id would let the new attempt take the build for its
    own (see :func:`claim_build`) and run it a second time. Should queueing fail after the commit,
    the stored id names no job, which housekeeping finds lost and queues again.
    """
    seen, job_id = build.job_id, queueing.attempt_job_id(build.id, build.job_id)
    lifetime = queueing.build_lifetime(build.project)  # read before the commit expires the build
    same_job = Build.job_id.is_(None) if seen is None else Build.job_id == seen
    moved = _rowcount(update(Build).where(Build.id == build.id, Build.state == "triggered", same_job)
                      .values(job_id=job_id).execution_options(synchronize_session=False))
    db.session.commit()
    if not moved:
        return None
    queueing.enqueue_build(build.id, lifetime, job_id=job_id, delay=delay)
    return job_id


def defer_build(build_id: int) -> None:
    """No slot: try again later. The build is never failed for waiting."""
    build = db.session.get(Build, build_id)
    if build is not None and build.state == "triggered":
        notifications.build_waiting(build_id, concurrency_limit(build.project))
        enqueue_attempt(build, delay=WAIT_RETRY_SECONDS)


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
        # Only a delayed retry is brought forward. A build with no job yet is being triggered (its
        # job is queued right after its commit) and one whose job is lost is housekeeping's.
        retry = build.job_id
        if not queueing.is_delayed(retry):
            continue
        if enqueue_attempt(build) is not None:
            queueing.drop_job(retry)  # brought forward: it must not run again at its time
            started.append(build.id)
    return started


def finish_build(build: Build, *, success: bool, error: str | None = None, state: str = "finished",
                 formats: list[str] | None = None, from_states: tuple[str, ...] = UNFINISHED) -> bool:
    """The one way a build ends, whoever ends it: its worker, a cancel, housekeeping, a failed enqueue.

    The final state is a conditional UPDATE (only from ``from_states``), so two parties ending the
    same build at once (a worker finishing it while housekeeping reaps it, a cancel while a worker
    claims it) never both do. The one that did then, in the same transaction, marks the version
    built (on success), records the notification and revokes the build's API token; after the
    commit it starts builds waiting for a slot and fires the project's webhooks. Returns False when
    the build had already left ``from_states`` (or was deleted), rolling back the caller's transaction.
    """
    build_id = build.id
    ended = _rowcount(
        update(Build).where(Build.id == build_id, Build.state.in_(from_states))
        .values(state=state, success=success, error=error, finished=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not ended:
        db.session.rollback()  # with whatever the caller added for the ending it expected
        return False
    db.session.refresh(build)
    if success and build.version_id is not None:
        version = db.session.get(Version, build.version_id)
        if version is not None:
            version.built = True
            version.built_formats = sorted(formats or [])
    notifications.build_finished(build)
    revoke_build_tokens(build_id)  # the build's API token dies with it (this commits all of the above)
    db.session.commit()
    build_logs.archive_log(build_id)  # object storage: the log leaves the database (never raises)
    try:
        start_waiting_builds(build.project_id)
    except Exception:  # Redis hiccup: the delayed retry or housekeeping starts them instead
        log.warning("could not start waiting builds of project %s", build.project_id, exc_info=True)
        db.session.rollback()
    webhook_delivery.fire(build, webhook_delivery.finish_event(build))  # never raises
    forge_status.report(build)  # a pull request's success/failure on its forge (queued; never raises)
    notifications.email_build_finished(build)  # queued after the commit, sent by a worker; never raises
    return True


def cancel_triggered(build_id: int, error: str) -> bool:
    """``triggered`` → ``cancelled`` only if still triggered; False when a worker claimed it first."""
    build = db.session.get(Build, build_id)
    if build is None:
        return False
    return finish_build(build, success=False, error=error, state="cancelled", from_states=("triggered",))


def cancel_build(build: Build) -> Build:
    """Cancel: a queued build never starts; a running one is asked to stop (the worker polls the flag)."""
    if build.is_final:
        raise Conflict(f"Build {build.id} has already finished ({build.state}); there is nothing to cancel.")
    build_id, job_id = build.id, build.job_id
    if cancel_triggered(build_id, CANCELLED_BEFORE_START):
        queueing.drop_job(job_id)
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
