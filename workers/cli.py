"""``docshelf worker``: RQ workers on the ``builds`` and ``default`` queues, inside the app context."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker

from app.extensions import BUILDS_QUEUE, DEFAULT_QUEUE, db, get_queue, get_redis


@click.command("worker")
@click.option("--queue", "queues", multiple=True, default=(BUILDS_QUEUE, DEFAULT_QUEUE), show_default=True)
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's).")
@with_appcontext
def worker(queues: tuple[str, ...], burst: bool, name: str | None) -> None:
    """Run a build worker."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Forked work horses must not share the parent's database connections.
    db.engine.dispose()
    w = Worker([get_queue(q, app) for q in queues], connection=get_redis(app), name=name)
    w.work(burst=burst, with_scheduler=True)
