"""The data generation: a counter in the database that every committed write moves, in its own
transaction.

Caches of what the database says (the API's response cache) key their entries on the generation
they were computed under and read it again before answering, so a committed write anywhere - an API
request, a worker finishing a build, the CLI - makes every older entry unreachable at once, in every
process. Nothing is invalidated object by object, so no invalidation can be forgotten.

Why these choices:

* **In the writer's transaction, not announced afterwards.** A write that commits has moved the
  counter (``data_generation``, one row) in the same commit; one that rolls back has not. There is
  no message to lose: not when Redis blips as a worker exits, not between processes, not between the
  commit and the writer's answer. The next read anywhere sees the new generation - read-your-writes
  across processes by construction.
* **Detected at the connection, ORM or Core.** Every statement passes the dialect's execute event;
  an INSERT/UPDATE/DELETE marks its connection, and just before that connection commits the counter
  moves. A write that opts out (:func:`quiet_write`: bookkeeping no cached answer shows, such as a
  token's ``last_used``) and a build's log chunks (appended every second while it runs, and shown only
  by ``log.txt``, which is never cached) leave it alone.
* **Read on every cached request.** One primary-key SELECT; when the database cannot answer, the cache
  answers nothing. Writes made outside Docshelf's code (a SQL console) must move the counter too:
  ``UPDATE data_generation SET value = value + 1``.
* **The bump comes last.** Run just before the commit, it holds the row's lock only for the commit, so
  writers queue there briefly and cannot deadlock on it (they take it after every other lock).
"""

from __future__ import annotations

import logging
import re
import secrets
import weakref
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.extensions import db
from app.models.generation import data_generation

log = logging.getLogger(__name__)
_READ = select(data_generation.c.value).where(data_generation.c.id == 1)

#: Statement heads that change data (WITH may; counted as a write to stay on the safe side).
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE|WITH|UPSERT)\b(?:\s+(?:INTO|FROM))?"
                    r"\s*\"?(\w*)", re.IGNORECASE)
#: Tables whose rows no cached answer shows (and Alembic's, written while migrating).
QUIET_TABLES = frozenset({"build_log_chunks", "data_generation", "alembic_version"})
_WROTE = "docshelf_wrote"
_OPTION = "invalidates_caches"
_BUMP = "UPDATE data_generation SET value = value + 1 WHERE id = 1"
_installed: weakref.WeakSet[Engine] = weakref.WeakSet()
#: Engines whose database has the table: until then (a process migrating it) writes move nothing, and
#: no cache answers either (:meth:`Generation.current` finds no row).
_ready: weakref.WeakSet[Engine] = weakref.WeakSet()


class Generation:
    """Reads the generation for one app; ``failures`` counts reads that failed, so that a cache can
    drop what it holds after the database was unreachable."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self.failures = 0

    def current(self) -> str | None:
        """The generation now, or None when it cannot be known (then nothing may be cached)."""
        engine = db.engine
        if engine not in _ready and not _ensure_row(engine):
            return None
        try:
            with engine.connect() as conn:
                value = conn.execute(_READ).scalar()
            if value is None and _ensure_row(engine):  # the row was deleted (a wiped test database)
                with engine.connect() as conn:
                    value = conn.execute(_READ).scalar()
        except SQLAlchemyError:
            self.failures += 1
            log.warning("data generation: the database could not be read; caching paused")
            return None
        return None if value is None else str(value)


def generation(app: Flask) -> Generation:
    found = app.extensions.get("docshelf.generation")
    if found is None:
        found = app.extensions["docshelf.generation"] = Generation(app)
    return found


def _marks(statement: str) -> bool:
    match = _WRITE.match(statement)
    return match is not None and match.group(2).lower() not in QUIET_TABLES


def install(app: Flask, engine: Engine) -> None:
    """Watch ``engine``: a transaction that wrote moves the generation just before it commits.

    Statements are watched with the dialect's execute events, and only a connection that wrote gets
    commit and rollback listeners of its own. Any listener on the engine itself would make every
    connection join the engine's events and call them at each of a dozen points (checkout, begin,
    each statement, rollback): a cost larger than a small read's query, paid by every request of
    every process for the few that write (figure 8 of ``make bench`` measures that path).
    """
    generation(app)
    _ensure_row(engine)
    if engine in _installed:
        return
    _installed.add(engine)
    event.listen(engine, "do_execute", _statement)
    event.listen(engine, "do_executemany", _statement)
    event.listen(engine, "do_execute_no_params", _statement_no_params)


def _statement(cursor: Any, statement: str, parameters: Any, context: Any) -> None:
    _watch(statement, context)


def _statement_no_params(cursor: Any, statement: str, context: Any) -> None:
    _watch(statement, context)


def _watch(statement: str, context: Any) -> None:
    """Mark the connection a write ran on, and have it move the generation when it commits."""
    if context.execution_options.get(_OPTION, True) is False or not _marks(statement):
        return
    conn = context.root_connection
    conn.info[_WROTE] = True
    if not event.contains(conn, "commit", _commit):
        event.listen(conn, "commit", _commit)
        event.listen(conn, "rollback", _rollback)


def _commit(conn: Any) -> None:
    if conn.info.pop(_WROTE, False) and conn.engine in _ready:
        # The DBAPI cursor: inside the commit event, a statement through SQLAlchemy would begin anew.
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(_BUMP)
        finally:
            cursor.close()


def _rollback(conn: Any) -> None:
    conn.info.pop(_WROTE, None)


def _ensure_row(engine: Engine) -> bool:
    """Make sure the one row exists (the migration inserts it; a database made from the models in
    tests may not have it); True once the table is there, from then on writes move it."""
    try:
        with engine.begin() as conn:
            if conn.execute(select(data_generation.c.id)).first() is None:
                # A random start: a row made again must not meet numbers that old entries carry.
                conn.execute(insert(data_generation).values(id=1, value=secrets.randbits(48)))
    except IntegrityError:  # another process inserted it meanwhile
        pass
    except SQLAlchemyError:  # no table yet: a process about to migrate
        return False
    _ready.add(engine)
    return True


def quiet_write(statement: Any) -> Any:
    """Mark a write as bookkeeping no cached response shows: it leaves the generation alone."""
    return statement.execution_options(**{_OPTION: False})
