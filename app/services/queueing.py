"""Enqueue jobs by dotted name, so the web tier never imports ``workers``."""

from __future__ import annotations

from typing import Any

from rq.job import Job

from app.extensions import BUILDS_QUEUE, DEFAULT_QUEUE, get_queue

RUN_BUILD = "workers.jobs.run_build"
SYNC_VERSIONS = "workers.jobs.sync_versions"
HOUSEKEEPING = "workers.jobs.housekeeping"
DELIVER_WEBHOOK = "workers.webhooks.deliver"
#: Every function Docshelf enqueues; the worker refuses a job naming anything else (``os.system``
#: written into Redis by someone who reached it), see ``workers.queues.DocshelfJob``.
DOCSHELF_JOBS = frozenset({RUN_BUILD, SYNC_VERSIONS, HOUSEKEEPING, DELIVER_WEBHOOK})


def enqueue(
    func: str, *args: Any, queue: str = DEFAULT_QUEUE, job_id: str | None = None, timeout: int | None = None
) -> Job:
    return get_queue(queue).enqueue(
        func, *args, job_id=job_id, job_timeout=timeout, result_ttl=3600, failure_ttl=7 * 24 * 3600
    )


def build_job_id(build_id: int) -> str:
    return f"build-{build_id}"


def enqueue_build(build_id: int, timeout: int) -> Job:
    # RQ's own timeout is a backstop above the build's: the pipeline enforces the real limit itself.
    return enqueue(
        RUN_BUILD, build_id, queue=BUILDS_QUEUE, job_id=build_job_id(build_id), timeout=timeout + 300
    )


def enqueue_sync_versions(project_id: int) -> Job:
    return enqueue(SYNC_VERSIONS, project_id, queue=DEFAULT_QUEUE)
