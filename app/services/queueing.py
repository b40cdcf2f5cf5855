"""Everything Docshelf tells RQ, in one place: job names, job ids, enqueue options, TTLs, job status.

The web tier enqueues by dotted name, so it never imports ``workers``. The Build (or delivery) row is
the truth and RQ only transport: this module also says when a job is *lost*, i.e. will never run the
work it was queued for, which housekeeping uses to queue that work again.
"""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from redis import Redis
from rq import Queue
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from app.extensions import BUILDS_QUEUE, DEFAULT_QUEUE, WEBHOOKS_QUEUE, get_queue, get_redis
from app.safety.jobdata import JobSerializer

if TYPE_CHECKING:
    from app.models import Project

RUN_BUILD = "workers.jobs.run_build"
SYNC_VERSIONS = "workers.jobs.sync_versions"
HOUSEKEEPING = "workers.jobs.housekeeping"
DELIVER_WEBHOOK = "workers.webhooks.deliver"
SEND_EMAIL = "workers.mail.send_email"
SEND_STATUS = "workers.forge.send_status"
INDEX_UPLOAD = "workers.jobs.index_upload"
#: Every function Docshelf enqueues; the worker refuses a job naming anything else (``os.system``
#: written into Redis by someone who reached it), see ``workers.queues.DocshelfJob``.
DOCSHELF_JOBS = frozenset({RUN_BUILD, SYNC_VERSIONS, HOUSEKEEPING, DELIVER_WEBHOOK, SEND_EMAIL, SEND_STATUS,
                           INDEX_UPLOAD})

#: Housekeeping shares the ``default`` queue so a busy ``builds`` queue never delays crash recovery.
HOUSEKEEPING_QUEUE = DEFAULT_QUEUE

#: How long RQ keeps a job's result and a failed job's traceback (seconds). Housekeeping runs every
#: few seconds, so its jobs are kept briefly; every other job long enough to look into a failure.
RESULT_TTL = 3600
FAILURE_TTL = 7 * 24 * 3600
_TTLS = {HOUSEKEEPING: (300, 24 * 3600)}

#: Seconds RQ's own job timeout (and a build's API token) outlive the build's time limit: the
#: pipeline enforces the limit itself and needs this margin to record the timeout and finish the build.
BUILD_GRACE = 300

#: The states of a job that will never (again) run the work it was queued for; ``None``: no such job
#: (expired, deleted, or Redis lost its data).
LOST_STATUSES = frozenset({None, JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED})


def enqueue(func: str, *args: Any, queue: str = DEFAULT_QUEUE, job_id: str | None = None,
            timeout: int | None = None, delay: float = 0, connection: Redis | None = None) -> Job:
    """Queue ``func(*args)`` now, or after ``delay`` seconds (the worker runs RQ's scheduler).

    ``connection`` serves callers without an app context (the worker's housekeeping chain).
    """
    target = (Queue(queue, connection=connection, serializer=JobSerializer) if connection is not None
              else get_queue(queue))
    result_ttl, failure_ttl = _TTLS.get(func, (RESULT_TTL, FAILURE_TTL))
    options: dict[str, Any] = {"job_id": job_id, "job_timeout": timeout, "result_ttl": result_ttl,
                               "failure_ttl": failure_ttl}
    if delay > 0:
        return target.enqueue_in(timedelta(seconds=delay), func, *args, **options)
    return target.enqueue(func, *args, **options)


# -- builds -----------------------------------------------------------------------------------------

def build_timeout(project: Project) -> int:
    """A build's time limit in seconds: the project's own, else ``DOCSHELF_BUILD_TIMEOUT``."""
    return int(project.build_timeout or current_app.config.get("BUILD_TIMEOUT", 900))


def build_lifetime(project: Project) -> int:
    """The longest a build may exist once started: its time limit plus :data:`BUILD_GRACE`."""
    return build_timeout(project) + BUILD_GRACE


def build_job_id(build_id: int) -> str:
    return f"build-{build_id}"


def attempt_job_id(build_id: int, current: str | None) -> str:
    """``build-<id>``, then ``build-<id>-2``, ``-3``...: deterministic, and distinct per attempt."""
    base = build_job_id(build_id)
    if not current or not current.startswith(base):
        return f"{base}-2"
    suffix = current[len(base) + 1:]
    return f"{base}-{int(suffix) + 1 if suffix.isdigit() else 2}"


def enqueue_build(build_id: int, lifetime: int, job_id: str | None = None, delay: float = 0) -> Job:
    """Queue one attempt of a build; ``lifetime`` is :func:`build_lifetime` (read before a commit)."""
    return enqueue(RUN_BUILD, build_id, queue=BUILDS_QUEUE, job_id=job_id or build_job_id(build_id),
                   timeout=lifetime, delay=delay)


# -- other jobs -------------------------------------------------------------------------------------

def enqueue_sync_versions(project_id: int) -> Job:
    return enqueue(SYNC_VERSIONS, project_id, queue=DEFAULT_QUEUE)


def enqueue_email(kind: str, object_id: int) -> Job:
    """One email about a row (``app.services.mail``): rendered and sent by the worker."""
    return enqueue(SEND_EMAIL, kind, object_id, queue=DEFAULT_QUEUE, timeout=120)


def webhook_job_id(delivery_id: int, attempt: int) -> str:
    return f"webhook-delivery-{delivery_id}-{attempt}"


def enqueue_webhook_attempt(delivery_id: int, attempt: int, timeout: int, delay: float = 0) -> Job:
    return enqueue(DELIVER_WEBHOOK, delivery_id, queue=WEBHOOKS_QUEUE,
                   job_id=webhook_job_id(delivery_id, attempt), timeout=timeout, delay=delay)


def enqueue_housekeeping(connection: Redis, interval: int, stale_after: int, chained: bool,
                         delay: float = 0) -> Job:
    """One housekeeping run; ids are unique per run, so a chained run never replaces a pending one."""
    return enqueue(HOUSEKEEPING, interval, stale_after, chained, queue=HOUSEKEEPING_QUEUE,
                   job_id=f"housekeeping-{time.time_ns()}", delay=delay, connection=connection)


# -- status -----------------------------------------------------------------------------------------

def _fetch(job_id: str) -> Job:
    return Job.fetch(job_id, connection=get_redis(), serializer=JobSerializer)


def job_status(job_id: str | None) -> JobStatus | None:
    """The job's status as RQ last stored it; ``None`` when there is no such job."""
    if not job_id:
        return None
    try:
        return _fetch(job_id).get_status(refresh=False)
    except NoSuchJobError:
        return None


def is_lost(job_id: str | None) -> bool:
    """Whether the job will never run the work it was queued for (see :data:`LOST_STATUSES`)."""
    return job_status(job_id) in LOST_STATUSES


def is_pending(job_id: str | None) -> bool:
    """Queued or running now: it will start (or is doing) its work by itself."""
    return job_status(job_id) in (JobStatus.QUEUED, JobStatus.STARTED)


def is_delayed(job_id: str | None) -> bool:
    """Waiting for its time in RQ's scheduler: a retry queued with a delay."""
    return job_status(job_id) in (JobStatus.SCHEDULED, JobStatus.DEFERRED)


def drop_job(job_id: str | None) -> None:
    """Cancel a job that should no longer run; one that is gone or already ended is left alone."""
    if not job_id:
        return
    with contextlib.suppress(NoSuchJobError, InvalidJobOperation):
        _fetch(job_id).cancel()
