"""What a process checks before it works: a database holding Docshelf's tables, and a Redis server.

Web processes, workers and admin commands share state through both; one that started on a fresh
SQLite file or a private Redis would look healthy while nobody else saw its users, jobs or rate
limits. So every process except ``docshelf up`` (which starts the embedded services) and the
migration commands (which create the database) stops here with one paragraph that names what is
missing and the setting that points at it, and creates nothing on the way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from redis import Redis
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from app.config import Config, ConfigurationError, database_url
from app.extensions import resolve_redis_url
from app.safety.url_credentials import masked

#: A table every Docshelf database has since its first migration.
_MARKER_TABLE = "users"

_POINT_AT_ONE = (
    "Run the command in the directory that holds Docshelf's `data` directory, or point at the "
    "database with DOCSHELF_DATA_DIR (the directory holding docshelf.db) or DOCSHELF_DATABASE_URL; a new "
    "installation is created by `docshelf up` (`make run`) or `docshelf db upgrade`."
)


def require_database(settings: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigurationError` unless the configured database exists and holds Docshelf's
    tables. Checked before the app is created, which would make the data directory and a key file."""
    url = database_url(settings.get("DATA_DIR") or "data", settings.get("DATABASE_URL"))
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:") or path.startswith("file:"):
            return  # an in-memory or URI database: nothing on disk to look for
        if not os.path.isfile(path):
            where = os.path.abspath(path)
            raise ConfigurationError(f"No Docshelf database exists at {where}. {_POINT_AT_ONE}")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            migrated = inspect(connection).has_table(_MARKER_TABLE)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc  # the driver's own words, without SQLAlchemy's text
        reason = str(cause).strip().splitlines()
        raise ConfigurationError(
            f"Cannot open the database {shown}: {(reason[0] if reason else type(exc).__name__).rstrip('.')}. "
            "Check DOCSHELF_DATABASE_URL and that the database server is running."
        ) from exc
    finally:
        engine.dispose()
    if not migrated:
        raise ConfigurationError(
            f"The database {shown} holds no Docshelf tables. Point DOCSHELF_DATABASE_URL (or "
            "DOCSHELF_DATA_DIR) at Docshelf's database, or create its tables with `docshelf db upgrade`."
        )


def require_redis(settings: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigurationError` unless a Redis URL is configured (or published by a running
    ``docshelf up``) and its server answers."""
    url = resolve_redis_url(settings)
    try:
        with Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5) as connection:
            connection.ping()
    except Exception as exc:  # noqa: BLE001  (any failure to reach it means the same to the operator)
        reason = str(exc).rstrip(".")
        raise ConfigurationError(
            f"Cannot reach Redis at {masked(url)}: {reason}. Check DOCSHELF_REDIS_URL and that the server "
            "is running (the embedded one runs only while `docshelf up` does)."
        ) from exc


def require_storage_url(settings: Mapping[str, Any]) -> None:
    """A ``DOCSHELF_STORAGE_URL`` that is not ``s3://bucket/prefix`` stops the process, rather than
    every docs request later."""
    if settings.get("STORAGE_URL"):
        from app.storage import StorageURLError, parse_url

        try:
            parse_url(settings["STORAGE_URL"])
        except StorageURLError as exc:
            raise ConfigurationError(f"{exc}.") from exc


def require_shared_services(settings: Mapping[str, Any]) -> None:
    """With ``DOCSHELF_HOSTS`` above 1, refuse what only one machine can see: SQLite, the embedded
    Redis (no ``DOCSHELF_REDIS_URL``, or a Unix socket), a secret key file of its own and the local
    storage directory."""
    hosts = int(settings.get("HOSTS") or 1)
    if hosts <= 1:
        return
    wrong = []
    url = settings.get("DATABASE_URL")
    if not url or make_url(url).get_backend_name() == "sqlite":
        wrong.append("the database is SQLite (set DOCSHELF_DATABASE_URL to a PostgreSQL server)")
    redis_url = settings.get("REDIS_URL") or ""
    if not redis_url or redis_url.startswith("unix:"):
        wrong.append("Redis is the embedded one (set DOCSHELF_REDIS_URL to a Redis server's redis:// URL)")
    if not settings.get("SECRET_KEY"):
        wrong.append("each host would make a secret key of its own (set DOCSHELF_SECRET_KEY, the same on "
                     "every host)")
    if not settings.get("STORAGE_URL"):
        wrong.append("sites are stored in a local directory (set DOCSHELF_STORAGE_URL to s3://bucket/prefix)")
    if wrong:
        raise ConfigurationError(
            f"DOCSHELF_HOSTS is {hosts}, so every host must share its database, Redis, secret key and "
            "storage, but "
            + "; ".join(wrong) + ". Set DOCSHELF_HOSTS=1 for a single machine."
        )


def require_services(settings: Mapping[str, Any] | None = None) -> None:
    """The checks, on the environment's settings unless given."""
    settings = Config.from_env() if settings is None else settings
    require_storage_url(settings)
    require_shared_services(settings)
    require_database(settings)
    require_redis(settings)
