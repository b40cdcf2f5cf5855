"""What ``workers.cli.DocshelfWorker`` relies on RQ for, checked against the installed RQ.

RQ documents subclassing its worker but not which methods a subclass may override. Docshelf overrides
two public ones: ``execute_job`` (the worker process, once per job, before it forks the work horse:
the build is claimed there) and ``run_maintenance_tasks`` (the housekeeping chain is kept alive
there). setup.cfg pins RQ's major version; these tests fail if an RQ release stops calling either
as used, so the pin is raised only with them passing.
"""

from __future__ import annotations

import inspect
import os
import signal
from typing import Any

from rq import Worker
from rq.job import Job

from app.extensions import DEFAULT_QUEUE, get_queue, get_redis
from workers.cli import DocshelfWorker
from workers.housekeeping import CHAIN_KEY
from workers.queues import DocshelfJob


class _Recording(DocshelfWorker):
    """Records, for each job, the process that ran ``execute_job``'s claim step."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claims: list[tuple[str, int]] = []

    def claim_before_fork(self, job: Job) -> Any:
        self.claims.append((job.id, os.getpid()))
        return super().claim_before_fork(job)


def _burst(worker: DocshelfWorker) -> None:
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.work(burst=True)
    finally:
        for sig, handler in handlers.items():  # work() installs RQ's
            signal.signal(sig, handler)


def test_the_overridden_methods_keep_their_signatures():
    assert list(inspect.signature(Worker.execute_job).parameters) == ["self", "job", "queue"]
    assert list(inspect.signature(Worker.run_maintenance_tasks).parameters) == ["self"]
    assert "execute_job" in vars(DocshelfWorker) and "run_maintenance_tasks" in vars(DocshelfWorker)
    # What the rest of the worker must leave to RQ: the fork and the horse's entry point.
    assert "fork_work_horse" not in vars(DocshelfWorker) and "main_work_horse" not in vars(DocshelfWorker)


def test_execute_job_runs_in_the_worker_once_per_job_before_a_forked_horse(app):
    queue = get_queue(DEFAULT_QUEUE)
    jobs = [queue.enqueue("os.getpid") for _ in range(2)]  # each returns the pid of the process running it
    get_redis().delete(CHAIN_KEY)
    worker = _Recording([queue], connection=get_redis(), job_class=DocshelfJob.allowing(("os.getpid",)))
    _burst(worker)
    me = os.getpid()
    assert worker.claims == [(job.id, me) for job in jobs]  # here, in order, once each
    horses = [Job.fetch(job.id, connection=get_redis()).return_value() for job in jobs]
    assert all(isinstance(pid, int) and pid != me for pid in horses)  # the jobs themselves ran forked
    assert len(set(horses)) == 2  # a new horse per job
    assert get_redis().exists(CHAIN_KEY)  # run_maintenance_tasks ran and scheduled housekeeping
