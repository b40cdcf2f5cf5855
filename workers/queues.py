"""Queue names by purpose and the connection the workers use (built from the app's config)."""

from __future__ import annotations

from flask import Flask
from redis import Redis
from rq import Queue

from app.extensions import BUILDS_QUEUE, DEFAULT_QUEUE, WEBHOOKS_QUEUE, get_queue, get_redis

__all__ = [
    "ALL_QUEUES",
    "BUILDS_QUEUE",
    "DEFAULT_QUEUE",
    "HOUSEKEEPING_QUEUE",
    "WEBHOOKS_QUEUE",
    "connection",
    "queues",
]

#: Housekeeping shares the ``default`` queue so a busy ``builds`` queue never delays crash recovery.
HOUSEKEEPING_QUEUE = DEFAULT_QUEUE
#: What ``docshelf worker`` listens to by default, in priority order.
ALL_QUEUES = (BUILDS_QUEUE, DEFAULT_QUEUE, WEBHOOKS_QUEUE)


def connection(app: Flask | None = None) -> Redis:
    return get_redis(app)


def queues(names: tuple[str, ...] = ALL_QUEUES, app: Flask | None = None) -> list[Queue]:
    return [get_queue(name, app) for name in names]
