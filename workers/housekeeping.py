"""Periodic housekeeping on RQ's scheduler: one self-renewing chain of delayed jobs across all workers.

A Redis key is held while the next run is scheduled, so any number of workers can call
:func:`ensure_scheduled` and only one chain exists; if the chain breaks (its worker died mid-run), the key
expires and the next worker that checks starts a new one.
"""

from __future__ import annotations

import time
from datetime import timedelta

from redis import Redis

from app.services.queueing import HOUSEKEEPING as HOUSEKEEPING_JOB
from workers.queues import HOUSEKEEPING_QUEUE, job_queue

CHAIN_KEY = "docshelf:housekeeping:scheduled"
DEFAULT_INTERVAL = 30
DEFAULT_STALE_AFTER = 120


def ensure_scheduled(connection: Redis, interval: int, stale_after: int) -> bool:
    """Schedule the next run in ``interval`` seconds unless one is already scheduled; True if it did."""
    if not connection.set(CHAIN_KEY, str(time.time()), nx=True, ex=interval * 2 + 60):
        return False
    job_queue(HOUSEKEEPING_QUEUE, connection).enqueue_in(
        timedelta(seconds=interval), HOUSEKEEPING_JOB, interval, stale_after, True,
        job_id=f"housekeeping-{time.time_ns()}", result_ttl=300, failure_ttl=24 * 3600,
    )
    return True


def run_now(connection: Redis, interval: int, stale_after: int) -> None:
    """A run right away (a worker starting up recovers what a dead predecessor left at once)."""
    job_queue(HOUSEKEEPING_QUEUE, connection).enqueue(
        HOUSEKEEPING_JOB, interval, stale_after, False, job_id=f"housekeeping-{time.time_ns()}",
        result_ttl=300, failure_ttl=24 * 3600,
    )
