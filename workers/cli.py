"""``docshelf worker``: RQ workers on the builds, default and webhooks queues, inside the app context."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker
from sqlalchemy.orm import configure_mappers

from app.extensions import db
from app.services import build_control
from workers import housekeeping
from workers.queues import ALL_QUEUES, connection, queues


class DocshelfWorker(Worker):
    """RQ's forking worker that also keeps the housekeeping chain alive during its maintenance runs."""

    housekeeping_interval = housekeeping.DEFAULT_INTERVAL
    stale_after = housekeeping.DEFAULT_STALE_AFTER

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        housekeeping.ensure_scheduled(self.connection, self.housekeeping_interval, self.stale_after)


def preload() -> None:
    """Do once, in the parent, what every forked work horse would otherwise redo before its job starts.

    RQ forks a fresh work horse per job: the job modules it imports, the ORM mapper configuration it
    triggers and the SQL it compiles are lost with it. Done here they are inherited through fork,
    which takes tens of milliseconds off every build's trigger-to-start latency (``make bench``,
    figure 4).
    """
    import workers.jobs  # noqa: F401 - imported for its side effect: loaded before fork
    import workers.pipeline  # noqa: F401
    import workers.webhooks  # noqa: F401

    configure_mappers()
    try:
        build_control.warm_up()
    except Exception:  # the database is not reachable yet: work horses compile for themselves
        logging.getLogger(__name__).warning("worker warm-up skipped", exc_info=True)
        db.session.rollback()


@click.command("worker")
@click.option("--queue", "names", multiple=True, default=ALL_QUEUES, show_default=True)
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's).")
@click.option("--housekeeping-interval", type=click.IntRange(1), default=housekeeping.DEFAULT_INTERVAL,
              show_default=True, help="Seconds between housekeeping runs (crash recovery).")
@click.option("--stale-after", type=click.IntRange(1), default=housekeeping.DEFAULT_STALE_AFTER,
              show_default=True, help="Seconds without a heartbeat before a running build counts as dead.")
@with_appcontext
def worker(names: tuple[str, ...], burst: bool, name: str | None, housekeeping_interval: int,
           stale_after: int) -> None:
    """Run a build worker."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    preload()
    # Forked work horses must not share the parent's database connections.
    db.engine.dispose()
    redis = connection(app)
    w = DocshelfWorker(queues(names, app), connection=redis, name=name,
                       maintenance_interval=housekeeping_interval)
    w.housekeeping_interval = housekeeping_interval
    w.stale_after = stale_after
    if not burst:  # a starting worker recovers what a dead one left behind, then the chain takes over
        housekeeping.run_now(redis, housekeeping_interval, stale_after)
    w.work(burst=burst, with_scheduler=True)
