"""Queue names by purpose, the connection the workers use, and the one kind of job they run.

A worker executes what a job in Redis names. Docshelf enqueues four functions by dotted name
(``app.services.queueing.DOCSHELF_JOBS``); :class:`DocshelfJob` refuses any other (``os.system``,
``builtins.eval``), any bound method, every RQ callback and every RQ webhook (Docshelf registers
none), so a job written by whoever reached Redis fails instead of running. Its payload is read with
:class:`~app.safety.jobdata.JobSerializer`, which cannot run code while decoding.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from flask import Flask
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from app.extensions import BUILDS_QUEUE, DEFAULT_QUEUE, WEBHOOKS_QUEUE, get_queue, get_redis
from app.services.queueing import DOCSHELF_JOBS, HOUSEKEEPING_QUEUE

__all__ = [
    "ALL_QUEUES",
    "BUILDS_QUEUE",
    "DEFAULT_QUEUE",
    "HOUSEKEEPING_QUEUE",
    "WEBHOOKS_QUEUE",
    "DocshelfJob",
    "RefusedJob",
    "connection",
    "queues",
]

log = logging.getLogger(__name__)

#: What ``docshelf worker`` listens to by default, in priority order.
ALL_QUEUES = (BUILDS_QUEUE, DEFAULT_QUEUE, WEBHOOKS_QUEUE)


class RefusedJob(Exception):
    """A job that names something other than one of Docshelf's job functions; it fails unrun."""


class DocshelfJob(Job):
    """RQ's job, resolving its function only when it is one of Docshelf's (RQ's ``job_class`` hook).

    RQ imports and calls ``job.func`` in ``Job.perform``; refusing there makes RQ fail the job the
    usual way (failed registry, ``exc_info``, worker log). tests/workers/test_job_refusal.py runs a
    real worker so a change in RQ that bypasses this is caught.
    """

    allowed: ClassVar[frozenset[str]] = DOCSHELF_JOBS

    @classmethod
    def allowing(cls, extra: tuple[str, ...]) -> type[DocshelfJob]:
        """This class, also running ``extra`` (operator-named functions: the benchmarks' no-op job)."""
        if not extra:
            return cls
        return type(cls.__name__, (cls,), {"allowed": cls.allowed | frozenset(extra)})

    @property
    def func(self) -> Any:
        name = self.func_name
        if name not in self.allowed or self.instance is not None:
            log.error("job %s refused: %r is not one of Docshelf's jobs", self.id, name)
            raise RefusedJob(f"{name!r} is not one of Docshelf's jobs; refused without running it.")
        return super().func

    def _no_callback(self, kind: str, name: str | None) -> None:
        if name:
            log.error("job %s: its %s callback %r is ignored (Docshelf registers none)", self.id, kind, name)

    @property
    def success_callback(self) -> None:
        self._no_callback("success", self._success_callback_name)

    @property
    def failure_callback(self) -> None:
        self._no_callback("failure", self._failure_callback_name)

    @property
    def stopped_callback(self) -> None:
        self._no_callback("stopped", self._stopped_callback_name)

    def send_webhooks(self, status: str | JobStatus, *, exc_string: str | None = None) -> None:
        if self.webhooks:
            log.error("job %s: its RQ webhooks are ignored (Docshelf registers none)", self.id)


def connection(app: Flask | None = None) -> Redis:
    return get_redis(app)


def queues(names: tuple[str, ...] = ALL_QUEUES, app: Flask | None = None) -> list[Queue]:
    return [get_queue(name, app) for name in names]

