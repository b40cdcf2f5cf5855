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

import contextlib
import logging
import os
import secrets
import threading
import time
import weakref
from typing import Any

from flask import Flask
from redis import Redis
from redis.client import PubSub
from sqlalchemy import Engine, event

from app.extensions import get_redis

log = logging.getLogger(__name__)

KEY = "docshelf:data-generation"
#: After a Redis error, how long to stop asking (each attempt could wait for a connect timeout).
BACKOFF_SECONDS = 5.0
#: How often a process re-reads the key instead of trusting its subscription alone.
VERIFY_SECONDS = 1.0
#: Statement heads that change data (WITH may; counted as a write to stay on the safe side).
_WRITE_HEADS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "TRUNCATE", "WITH", "UPSERT")
_WROTE = "docshelf_wrote"
_OPTION = "invalidates_caches"
_installed: weakref.WeakSet[Engine] = weakref.WeakSet()


class Generation:
    """One process's view of the generation, bound to an app's Redis.

    Reading it must not cost a Redis round trip per request (a third of a cached answer's time on
    2 cores): the process subscribes to the channel every change is published on, and a read only
    polls that socket without blocking - Redis writes the message before it answers the writer, so a
    request that follows a write (the writer's client got its answer) finds it there. The key itself
    is re-read at least every ``VERIFY_SECONDS``, so even a subscription silently cut off by the
    network cannot keep a process on an old generation for longer than that.
    """

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._unpublished = False  # a write committed while Redis could not be told
        self._failures = 0  # grows on every failure: callers compare it to drop what they hold
        self._pubsub: _Subscription | None = None
        self._connects_seen = 0
        self._pid = 0  # the process that subscribed: a forked child must not read its parent's socket
        self._known: str | None = None
        self._verified = 0.0

    @property
    def failures(self) -> int:
        return self._failures

    def _redis(self) -> Redis | None:
        if time.monotonic() < self._down_until:
            return None
        # Always the app's own Redis (the one every process of a deployment shares): a write that
        # nobody is told about would leave other processes answering from stale memory.
        return get_redis(self._app)

    def _channel(self, redis: Redis) -> str:
        """One channel per Redis database: channels are server-wide, deployments may share a server."""
        return f"{KEY}:{redis.connection_pool.connection_kwargs.get('db', 0)}"

    def _failed(self, what: str) -> None:
        with self._lock:
            self._down_until = time.monotonic() + BACKOFF_SECONDS
            self._failures += 1
            self._unsubscribe()
        log.warning("data generation: %s failed (Redis unreachable); caching paused", what)

    def current(self) -> str | None:
        """The generation now, or None when it cannot be known (then nothing may be cached)."""
        try:
            redis = self._redis()
            if redis is None:
                return None
            with self._lock:
                if self._unpublished:
                    self._publish(redis)
                if self._pubsub is None or self._pid != os.getpid():
                    self._subscribe(redis)
                else:
                    self._drain()  # may reconnect: redis-py resubscribes by itself after a drop
                    if (self._pubsub.connects != self._connects_seen
                            or time.monotonic() - self._verified > VERIFY_SECONDS):
                        self._verify(redis)  # messages sent while it was cut off are lost: read the key
                return self._known
        except Exception:  # RedisError, or an embedded server that could not start
            self._failed("reading")
            return None

    def changed(self) -> None:
        """Publish a new generation (called after a write committed); never raises."""
        self._unpublished = True
        try:
            redis = self._redis()
            if redis is not None:
                with self._lock:
                    self._publish(redis)
        except Exception:  # never raise into the database's connection pool
            self._failed("publishing")

    def _publish(self, redis: Redis) -> None:
        new = secrets.token_hex(8)
        with redis.pipeline(transaction=True) as pipe:  # the key and the message change together
            pipe.set(KEY, new)
            pipe.publish(self._channel(redis), new)
            pipe.execute()
        self._unpublished = False

    def _subscribe(self, redis: Redis) -> None:
        self._pubsub = None  # a forked child's copy is its parent's socket: forgotten, not closed
        pubsub = _Subscription(redis.connection_pool)
        pubsub.subscribe(self._channel(redis))
        # Only once subscribed does reading the key tell the truth: later changes arrive as messages.
        confirmed = pubsub.get_message(timeout=1.0)  # the first reply on the new connection
        if confirmed is None or confirmed.get("type") != "subscribe":
            pubsub.close()
            raise ConnectionError("Redis did not confirm the subscription")
        self._pubsub, self._pid = pubsub, os.getpid()
        self._verify(redis)

    def _verify(self, redis: Redis) -> None:
        self._drain()  # messages already here are older than the read below, which must win
        value = redis.get(KEY)
        if value is None:  # first use, or Redis lost its data: start a generation never seen before
            redis.set(KEY, secrets.token_hex(8), nx=True)
            value = redis.get(KEY)
        self._known = _text(value)  # messages arriving from now on are newer: the next drain takes them
        self._verified = time.monotonic()
        self._connects_seen = self._pubsub.connects if self._pubsub is not None else 0

    def _drain(self) -> None:
        assert self._pubsub is not None
        while (message := self._pubsub.get_message(timeout=0)) is not None:
            if message.get("type") == "message":
                self._known = _text(message["data"])

    def _unsubscribe(self) -> None:
        if self._pubsub is not None and self._pid == os.getpid():
            with contextlib.suppress(Exception):
                self._pubsub.close()
        self._pubsub, self._known = None, None


class _Subscription(PubSub):
    """A PubSub that counts its connections, so a silent reconnection is noticed."""

    connects = 0

    def on_connect(self, connection: Any) -> None:
        self.connects += 1
        super().on_connect(connection)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


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
