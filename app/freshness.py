"""The data generation: one random token in Redis, replaced after every committed database write.

Caches of what the database says (the API's response cache) key their entries on the generation
they were computed under, so any write anywhere - an API request, a worker finishing a build, the
CLI - makes every older entry unreachable at once, in every process. No per-object bookkeeping can
forget an invalidation, because nothing is invalidated object by object.

Why these choices:

* **Detected at the connection, not in services.** Every statement passes ``before_cursor_execute``,
  so an INSERT/UPDATE/DELETE marks its pooled connection, ORM or Core, whatever module sent it. The
  generation changes when that connection goes back to the pool, i.e. *after* the commit: a reader
  that saw the old generation before the commit can only have stored its entry under that old,
  now unreachable, generation. A write that opts out (``execution_options(invalidates_caches=False)``,
  for bookkeeping no cached response shows, like a token's ``last_used``) changes nothing.
* **A random token, not a counter.** A Redis restart loses the key; a counter would start again and
  meet old entries' numbers, a random token never does.
* **Redis down.** Reading the generation fails fast (a short circuit-breaker, not a timeout per
  request) and callers simply do not cache; a change that could not be published is retried on the
  next call, and callers drop what they hold when Redis has been unreachable (``Generation.failures``).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import weakref
from typing import Any

from flask import Flask
from redis import Redis
from sqlalchemy import Engine, event

from app.extensions import get_redis

log = logging.getLogger(__name__)

KEY = "docshelf:data-generation"
#: After a Redis error, how long to stop asking (each attempt could wait for a connect timeout).
BACKOFF_SECONDS = 5.0
#: Statement heads that change data (WITH may; counted as a write to stay on the safe side).
_WRITE_HEADS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "TRUNCATE", "WITH", "UPSERT")
_WROTE = "docshelf_wrote"
_OPTION = "invalidates_caches"
_installed: weakref.WeakSet[Engine] = weakref.WeakSet()


class Generation:
    """One process's view of the generation, bound to an app's Redis."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._unpublished = False  # a write committed while Redis could not be told
        self._failures = 0  # grows on every failure: callers compare it to drop what they hold

    @property
    def failures(self) -> int:
        return self._failures

    def _redis(self) -> Redis | None:
        if time.monotonic() < self._down_until:
            return None
        # Always the app's Redis, the embedded one included (started if this process has not yet): a
        # write that nobody is told about would leave other processes answering from stale memory.
        return get_redis(self._app)

    def _failed(self, what: str) -> None:
        with self._lock:
            self._down_until = time.monotonic() + BACKOFF_SECONDS
            self._failures += 1
        log.warning("data generation: %s failed (Redis unreachable); caching paused", what)

    def current(self) -> str | None:
        """The generation now, or None when it cannot be known (then nothing may be cached)."""
        try:
            redis = self._redis()
            if redis is None:
                return None
            if self._unpublished:
                self._publish(redis)
            value = redis.get(KEY)
            if value is None:  # first use, or Redis lost its data: start a fresh generation
                redis.set(KEY, secrets.token_hex(8), nx=True)
                value = redis.get(KEY)
        except Exception:  # RedisError, or an embedded server that could not start
            self._failed("reading")
            return None
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def changed(self) -> None:
        """Publish a new generation (called after a write committed); never raises."""
        self._unpublished = True
        try:
            redis = self._redis()
            if redis is not None:
                self._publish(redis)
        except Exception:  # never raise into the database's connection pool
            self._failed("publishing")

    def _publish(self, redis: Redis) -> None:
        redis.set(KEY, secrets.token_hex(8))
        self._unpublished = False


def generation(app: Flask) -> Generation:
    found = app.extensions.get("docshelf.generation")
    if found is None:
        found = app.extensions["docshelf.generation"] = Generation(app)
    return found


def install(app: Flask, engine: Engine) -> None:
    """Watch ``engine`` for writes; each checked-in connection that wrote changes the generation."""
    gen = generation(app)

    def before_cursor_execute(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                              executemany: bool) -> None:
        if context is not None and context.execution_options.get(_OPTION, True) is False:
            return
        if statement.lstrip()[:8].upper().startswith(_WRITE_HEADS):
            conn.info[_WROTE] = True

    def checkin(dbapi_connection: Any, record: Any) -> None:
        # After commit or rollback: a rolled-back write changes the generation needlessly, but harmlessly.
        if record is not None and record.info.pop(_WROTE, False):
            gen.changed()

    if engine in _installed:
        return
    _installed.add(engine)
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    event.listen(engine, "checkin", checkin)


def quiet_write(statement: Any) -> Any:
    """Mark a write as bookkeeping no cached response shows: it leaves the generation alone."""
    return statement.execution_options(**{_OPTION: False})
