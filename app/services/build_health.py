"""Crash safety: build heartbeats, and the housekeeping rules that use them.

A running build's pipeline refreshes a heartbeat in Redis every few seconds (with its pid and host).
A worker killed with SIGKILL cannot say goodbye, so housekeeping finishes builds whose heartbeat went
stale (or whose process is gone, when it ran on this host) as failed, and re-queues ``triggered``
builds whose RQ job vanished before it started them.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db, get_redis
from app.models import Build, BuildCommand
from app.models.base import utcnow
from app.models.build import RUNNING_STATES
from app.services import queueing
from app.services.build_control import CANCELLED_BEFORE_START, cancel_triggered, enqueue_attempt, finish_build

log = logging.getLogger(__name__)

INTERRUPTED = ("The build was interrupted: the worker running it stopped unexpectedly (killed or crashed) "
               "while it was {state}. Trigger the build again.")
MAX_REQUEUES = 5
#: Heartbeats and requeue counters outlive any build (its time limit is hours at most).
KEY_TTL = 24 * 3600


def _key(build_id: int) -> str:
    return f"docshelf:build:{build_id}:heartbeat"


def beat(build_id: int) -> None:
    """Record that this process is alive and working on the build."""
    payload = {"ts": time.time(), "pid": os.getpid(), "host": socket.gethostname()}
    get_redis().set(_key(build_id), json.dumps(payload), ex=KEY_TTL)


def clear(build_id: int) -> None:
    get_redis().delete(_key(build_id))


def last_beat(build_id: int) -> dict[str, Any] | None:
    raw = get_redis().get(_key(build_id))
    return json.loads(raw) if raw else None


def pid_alive(pid: int) -> bool:
    """Alive and not a zombie: a killed horse whose parent died too may linger unreaped as a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True  # no /proc: trust kill(0)


def is_dead(build: Build, heartbeat: dict[str, Any] | None, stale_after: float) -> bool:
    """Dead: its process is gone (same host), or it has not beaten for ``stale_after`` seconds."""
    now = time.time()
    if heartbeat is None:
        started = build.started or build.created
        return (utcnow() - started).total_seconds() > stale_after
    if heartbeat.get("host") == socket.gethostname() and not pid_alive(int(heartbeat.get("pid", 0))):
        return True
    return now - float(heartbeat.get("ts", 0)) > stale_after


def reap_dead_builds(stale_after: float) -> list[int]:
    """Finish builds stuck in a running state whose worker died, as failed, with a clear error."""
    reaped: list[int] = []
    stmt = select(Build).where(Build.state.in_(RUNNING_STATES)).order_by(Build.id)
    running = db.session.scalars(stmt).all()
    for build in running:
        if not is_dead(build, last_beat(build.id), stale_after):
            continue
        state = build.state
        message = INTERRUPTED.format(state=state)
        now = utcnow()
        db.session.add(BuildCommand(build_id=build.id, command="docshelf housekeeping",
                                    description="Interrupted", output=message, exit_code=1, start_time=now,
                                    end_time=now))
        if build.cancel_requested:
            ended = finish_build(build, success=False, error="The build was cancelled.", state="cancelled",
                                 from_states=RUNNING_STATES)
        else:
            ended = finish_build(build, success=False, error=message, from_states=RUNNING_STATES)
        if not ended:  # its worker finished it after all, just now (the command above was rolled back)
            continue
        clear(build.id)
        reaped.append(build.id)
        log.warning("build %s: its worker died while %s; finished as failed", build.id, state)
    return reaped


def requeue_lost_builds(grace: float) -> list[int]:
    """Re-queue ``triggered`` builds whose job is gone (the queue lost it, or a worker died first)."""
    redis = get_redis()
    requeued: list[int] = []
    cutoff = utcnow() - timedelta(seconds=grace)
    waiting = db.session.scalars(
        select(Build).where(Build.state == "triggered", Build.created < cutoff).order_by(Build.id)
    ).all()
    for build in waiting:
        if not queueing.is_lost(build.job_id):
            continue
        if build.cancel_requested:
            cancel_triggered(build.id, CANCELLED_BEFORE_START)
            continue
        counter = f"docshelf:build:{build.id}:requeues"
        attempts = int(redis.incr(counter))
        redis.expire(counter, KEY_TTL)
        if attempts > MAX_REQUEUES:
            finish_build(build, success=False,
                         error=f"The build could not be started after {MAX_REQUEUES} attempts; "
                               "check that a worker is running and can reach the database.")
            continue
        enqueue_attempt(build)
        requeued.append(build.id)
    return requeued
