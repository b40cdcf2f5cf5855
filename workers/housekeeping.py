"""Periodic housekeeping on RQ's scheduler: one self-renewing chain of delayed jobs across all workers.

A Redis key is held while the next run is scheduled, so any number of workers can call
:func:`ensure_scheduled` and only one chain exists; if the chain breaks (its worker died mid-run), the key
expires and the next worker that checks starts a new one.
"""

from __future__ import annotations

import time

from redis import Redis

from app.services.queueing import enqueue_housekeeping

CHAIN_KEY = "docshelf:housekeeping:scheduled"
DEFAULT_INTERVAL = 30
DEFAULT_STALE_AFTER = 120


def ensure_scheduled(connection: Redis, interval: int, stale_after: int) -> bool:
    """Schedule the next run in ``interval`` seconds unless one is already scheduled; True if it did."""
    if not connection.set(CHAIN_KEY, str(time.time()), nx=True, ex=interval * 2 + 60):
        return False
    enqueue_housekeeping(connection, interval, stale_after, chained=True, delay=interval)
    return True


def run_now(connection: Redis, interval: int, stale_after: int) -> None:
    """A run right away (a worker starting up recovers what a dead predecessor left at once)."""
    enqueue_housekeeping(connection, interval, stale_after, chained=False)
