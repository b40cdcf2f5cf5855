"""Redis unreachable while a build is triggered: 503 ``retryable_error``, nothing half-created, and a
retry once Redis is back queues exactly one build.

The documented behaviour (app/services/builds.py ``trigger_build``) is "answer 503 and close the row":
the Build row is committed before the enqueue, so when the enqueue fails the row is finished as
``cancelled`` with a clear error rather than left ``triggered`` with no job behind it.
"""

from __future__ import annotations

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from sqlalchemy import select

from app.extensions import BUILDS_QUEUE, db, get_redis
from app.models import Build, Version
from app.models.build import FINAL_STATES
from tests.api.helpers import assert_error

TRIGGER = "/api/v3/projects/pip/versions/latest/builds/"


def builds() -> list[Build]:
    db.session.expire_all()
    return list(db.session.scalars(select(Build).order_by(Build.id)))


def test_trigger_while_redis_is_down_then_retry_once_it_is_back(app, client, project, headers, monkeypatch):
    real = get_redis(app)
    queue = Queue(BUILDS_QUEUE, connection=real)
    # A real connection to a loopback port where nothing listens: the enqueue fails as in production.
    # No client-side retries, so the test stays fast; the outcome is the same with them.
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    monkeypatch.setitem(app.extensions, "docshelf_redis", dead)

    for _ in range(2):  # a client retrying while the outage lasts changes nothing
        body = assert_error(client.post(TRIGGER, headers=headers), 503, "retryable_error", "retryable")
        assert body["retryable"] is True and body["triggered"] is False
    failed = builds()
    assert len(failed) == 2
    for build in failed:
        # Nothing half-created: every row is final, with the reason, and no job exists for it.
        assert build.state in FINAL_STATES and build.state == "cancelled"
        assert build.success is False and build.finished is not None
        assert "could not be queued" in build.error
    assert queue.count == 0 and queue.job_ids == []

    # Redis is back: the same request now queues one build, and only that one can run.
    monkeypatch.setitem(app.extensions, "docshelf_redis", real)
    response = client.post(TRIGGER, headers=headers)
    assert response.status_code == 202, response.json
    new_id = response.json["build"]["id"]
    rows = builds()
    assert len(rows) == 3
    runnable = [b for b in rows if b.state not in FINAL_STATES]
    assert [b.id for b in runnable] == [new_id] and runnable[0].state == "triggered"
    assert runnable[0].job_id == f"build-{new_id}"
    assert queue.job_ids == [f"build-{new_id}"]
    job = queue.fetch_job(f"build-{new_id}")
    assert job is not None and job.args == (new_id,)
    version = db.session.scalars(select(Version).where(Version.project_id == project.id)).one()
    assert version.last_build_id == new_id
