"""``docshelf worker``: RQ workers on the builds, default and webhooks queues, inside the app context."""

from __future__ import annotations

import logging
import os
from typing import Any

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext
from rq import Queue, Worker
from rq.job import Job
from sqlalchemy import Engine
from sqlalchemy.orm import configure_mappers
from sqlalchemy.pool import Pool

from app.extensions import db
from app.safety.jobdata import JobSerializer
from app.security.process import make_undumpable
from app.services import build_control
from app.services.build_control import Claim
from app.services.queueing import RUN_BUILD
from workers import housekeeping
from workers.queues import ALL_QUEUES, DocshelfJob, connection, queues

log = logging.getLogger(__name__)

#: The database pools a work horse inherited from its worker: kept referenced, never closed, for
#: the horse's whole life (it ends with ``os._exit``), so no driver finaliser in the horse can end
#: a connection that belongs to the worker.
_inherited_pools: list[Pool] = []
_at_fork_registered = False


class DocshelfWorker(Worker):
    """RQ's forking worker, which claims builds before it forks and keeps the housekeeping chain alive.

    Claiming a build in this long-lived process uses its warm database connection and interpreter;
    the work horse would first fork, open a new connection and fault in its copy-on-write pages, so
    a build leaves ``triggered`` sooner this way.

    RQ documents subclassing the worker but not the methods a subclass overrides. This one overrides
    two, both public and both called by RQ in the worker process: ``run_maintenance_tasks`` and
    ``execute_job`` (which forks the horse; RQ's own ``SimpleWorker`` and ``SpawnWorker`` override it
    too). The horse's side uses no RQ hook at all (``os.register_at_fork``). setup.cfg pins RQ's
    major version and tests/workers/test_rq_contract.py fails if RQ stops calling either as used here.
    """

    housekeeping_interval = housekeeping.DEFAULT_INTERVAL
    stale_after = housekeeping.DEFAULT_STALE_AFTER
    #: Only Docshelf's own job functions run (workers.queues.DocshelfJob).
    job_class = DocshelfJob

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("serializer", JobSerializer)  # job data is decoded without running code
        super().__init__(*args, **kwargs)
        set_aside_pools_in_children()

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        housekeeping.ensure_scheduled(self.connection, self.housekeeping_interval, self.stale_after)

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Claim the job's build, close what must not cross the fork, then let RQ fork and monitor."""
        self.claim_before_fork(job)
        release_before_fork()
        super().execute_job(job, queue)

    def claim_before_fork(self, job: Job) -> Claim | None:
        """Claim a ``run_build`` job's build here, under the job's id; the horse then finds it claimed.

        WAITING and GONE need no hand-over: the horse claims again and gets the same answer (or a
        slot that freed meanwhile). Never raises: a failure here leaves the claim to the horse, as
        it was before, and the worker goes on working.
        """
        try:
            if job.func_name != RUN_BUILD:
                return None
            build_id = int(job.args[0])
            with current_app.app_context():  # its own session, removed (connection checked in) on exit
                return build_control.claim_build(build_id, job.id)
        except Exception:
            log.warning("job %s: claiming its build before the fork failed; the work horse claims it",
                        job.id, exc_info=True)
            return None


def preload() -> None:
    """Do once, in the parent, what every forked work horse would otherwise redo before its job starts.

    RQ forks a fresh work horse per job: the job modules it imports, the ORM mapper configuration it
    triggers and the SQL it compiles are lost with it. Done here they are inherited through fork,
    which shortens every build's trigger-to-start latency.
    """
    import workers.jobs  # loaded before fork, like the two below
    import workers.pipeline  # noqa: F401 - imported for its side effect: loaded before fork
    import workers.webhooks  # noqa: F401

    configure_mappers()
    try:
        build_control.warm_up()
        workers.jobs.warm_up()
    except Exception:  # the database is not reachable yet: work horses compile for themselves
        log.warning("worker warm-up skipped", exc_info=True)
        db.session.rollback()


def set_aside_pools_in_children() -> None:
    """Have every child this process forks (work horses, RQ's scheduler) open connections of its own.

    Registered once per process with ``os.register_at_fork``: the connections left in an inherited
    pool are the worker's, so a child puts that pool aside untouched (``dispose(close=False)``).
    """
    global _at_fork_registered
    if not _at_fork_registered:
        os.register_at_fork(after_in_child=_set_aside_inherited_pools)
        _at_fork_registered = True


def _set_aside_inherited_pools() -> None:
    try:
        if not has_app_context():
            return
        for engine in db.engines.values():
            if _pooled(engine):
                _inherited_pools.append(engine.pool)
                engine.dispose(close=False)
    except Exception:  # an at-fork hook must not raise; the child then opens connections lazily anyway
        log.warning("could not set the inherited database pools aside", exc_info=True)


def release_before_fork() -> None:
    """Close what must not cross a fork: every pooled SQLite connection.

    SQLite keeps per-process lock bookkeeping for each open database file, which a forked child
    would inherit and get wrong even on connections of its own, so the worker holds no SQLite
    connection when it forks (reconnecting to a local file is cheap). A server database's
    connections stay pooled and warm: the horse puts them aside untouched
    (:func:`set_aside_pools_in_children`).
    """
    for engine in db.engines.values():
        if engine.dialect.name == "sqlite" and _pooled(engine):
            engine.dispose()


def _pooled(engine: Engine) -> bool:
    """Whether the pool may hold connections (checked before every job's fork, so only then replaced)."""
    idle = getattr(engine.pool, "checkedin", None)  # QueuePool's count; other pools: assume so
    return idle is None or bool(idle())


@click.command("worker")
@click.option("--queue", "names", multiple=True, default=ALL_QUEUES, show_default=True)
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's).")
@click.option("--housekeeping-interval", type=click.IntRange(1), default=housekeeping.DEFAULT_INTERVAL,
              show_default=True, help="Seconds between housekeeping runs (crash recovery).")
@click.option("--stale-after", type=click.IntRange(1), default=housekeeping.DEFAULT_STALE_AFTER,
              show_default=True, help="Seconds without a heartbeat before a running build counts as dead.")
@click.option("--extra-job", "extra_jobs", multiple=True, metavar="DOTTED.NAME",
              help="Also run jobs calling this function (the benchmarks' no-op); any other is refused.")
@with_appcontext
def worker(names: tuple[str, ...], burst: bool, name: str | None, housekeeping_interval: int,
           stale_after: int, extra_jobs: tuple[str, ...]) -> None:
    """Run a build worker."""
    make_undumpable()  # before anything else: /proc/<pid>/environ holds the secret key and Redis password
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    preload()
    release_before_fork()  # the scheduler process forks first
    redis = connection(app)
    # worker_ttl (RQ's documented option) also bounds the idle BLPOP to ttl - 15 s: an idle worker wakes
    # every housekeeping interval to run its maintenance, which takes over RQ's scheduler (and with it the
    # housekeeping chain) when the worker holding it died. With RQ's default (420 s) an idle survivor
    # slept through a dead peer's lost build for minutes (tests/topology/).
    w = DocshelfWorker(queues(names, app), connection=redis, name=name,
                       maintenance_interval=housekeeping_interval, worker_ttl=housekeeping_interval + 15,
                       job_class=DocshelfJob.allowing(extra_jobs))
    w.housekeeping_interval = housekeeping_interval
    w.stale_after = stale_after
    if not burst:  # a starting worker recovers what a dead one left behind, then the chain takes over
        housekeeping.run_now(redis, housekeeping_interval, stale_after)
    w.work(burst=burst, with_scheduler=True)
