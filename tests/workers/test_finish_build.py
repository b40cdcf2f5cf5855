"""Every way a build ends goes through ``finish_build`` and does the same four things: it revokes the
build's API token, records the notification, fires the project's webhooks and starts builds waiting
for a slot. One test per path: the worker, an API cancel, a newer trigger, housekeeping reaping a
dead build, housekeeping giving up on a lost job, and a trigger whose enqueue failed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq.job import Job
from sqlalchemy import select

from app.crypto import encrypt
from app.errors import RetryableError
from app.extensions import db, get_redis
from app.models import ApiToken, Build, Notification, Webhook, WebhookDelivery
from app.models.base import utcnow
from app.services import build_control, build_health, builds, queueing, tokens
from tests import factories
from tests.workers.conftest import fresh, sphinx_files, work
from workers.jobs import housekeeping


class Lifecycle:
    """A project with one slot, a webhook listening to every build event, and a build waiting for the
    slot: its job is a retry an hour away, so only a finishing build can start it in time."""

    def __init__(self, user: Any, repository_url: str = "https://example.invalid/repo.git") -> None:
        self.project = factories.ProjectFactory(maintainers=[user], repository_url=repository_url,
                                                max_concurrent_builds=1)
        self.version = self.project.versions[0]
        waiting_version = factories.VersionFactory(project=self.project, slug="waiting", identifier="main")
        self.waiting = factories.BuildFactory(version=waiting_version, state="triggered", success=None,
                                              started=None, finished=None, job_id=None)
        self.retry = build_control.enqueue_attempt(self.waiting, delay=3600)
        hook = Webhook(project_id=self.project.id, url="http://127.0.0.1:9/hook",
                       secret_encrypted=encrypt("s"),
                       events=["build:triggered", "build:passed", "build:failed"])
        db.session.add(hook)
        db.session.commit()

    def build(self, state: str) -> Build:
        """A build of the project's first version in ``state``, holding a build token like a real one."""
        build = factories.BuildFactory(version=self.version, state=state, success=None, finished=None,
                                       started=None if state == "triggered" else utcnow(),
                                       job_id=f"job-of-{state}")
        tokens.create_build_token(build)
        db.session.commit()
        return build

    def assert_ended(self, build_id: int, state: str, success: bool, notification: str | None,
                     event: str, woken_ran: bool = False) -> None:
        build = fresh(build_id)
        assert (build.state, build.success) == (state, success) and build.finished is not None
        live = db.session.scalars(select(ApiToken).where(ApiToken.build_id == build_id,
                                                         ApiToken.revoked.is_(False))).all()
        assert live == [], "the build's API token outlived it"
        assert db.session.scalar(select(ApiToken.id).where(ApiToken.build_id == build_id)) is not None
        notes = db.session.scalars(select(Notification.message_id)
                                   .where(Notification.build_id == build_id)).all()
        assert notes == ([notification] if notification else [])
        events = db.session.scalars(select(WebhookDelivery.event).where(WebhookDelivery.build_id == build_id)
                                    .order_by(WebhookDelivery.id)).all()
        assert events[-1] == event
        waiting = fresh(self.waiting.id)
        woken = queueing.attempt_job_id(waiting.id, self.retry)
        assert waiting.job_id == woken, "the waiting build was not started"
        assert queueing.job_status(self.retry) in queueing.LOST_STATUSES, "its hour-away retry is still due"
        if woken_ran:  # a burst worker runs it right after
            assert waiting.is_final and waiting.started is not None
        else:
            assert waiting.state == "triggered" and queueing.is_pending(waiting.job_id)


@pytest.fixture
def lifecycle(user: Any) -> Lifecycle:
    return Lifecycle(user)


def test_the_worker_finishing_a_build(user, make_repo):
    repo = make_repo(sphinx_files("Ends"))
    life = Lifecycle(user, repo.url)
    build = builds.trigger_build(life.project, life.version)
    Job.fetch(build.job_id, connection=get_redis())  # queued; the waiting build's job is not
    work()  # the pipeline runs it, and its own token is created and revoked on the way
    life.assert_ended(build.id, "finished", True, None, "build:passed", woken_ran=True)
    assert fresh(build.id).commands, "the pipeline ran"


def test_an_api_cancel_of_a_queued_build(client, headers, lifecycle):
    build = lifecycle.build("triggered")
    slug = lifecycle.project.slug
    response = client.post(f"/api/v3/projects/{slug}/builds/{build.id}/cancel/", headers=headers)
    assert response.status_code == 202, response.json
    lifecycle.assert_ended(build.id, "cancelled", False, "build:cancelled", "build:failed")


def test_a_newer_trigger_superseding_a_queued_build(lifecycle):
    lifecycle.version.active = True
    old = lifecycle.build("triggered")
    new = builds.trigger_build(lifecycle.project, lifecycle.version)
    lifecycle.assert_ended(old.id, "cancelled", False, "build:cancelled:superseded", "build:failed")
    assert "Superseded" in (fresh(old.id).error or "")
    assert fresh(new.id).state == "triggered"


def test_housekeeping_reaping_a_build_whose_worker_died(lifecycle):
    build = lifecycle.build("building")
    build.started = utcnow() - timedelta(minutes=5)  # no heartbeat for longer than stale_after
    db.session.commit()
    assert housekeeping(interval=60, stale_after=30)["reaped"] == [build.id]
    lifecycle.assert_ended(build.id, "finished", False, "build:failed", "build:failed")


def test_housekeeping_giving_up_on_a_build_whose_job_keeps_vanishing(lifecycle):
    build = lifecycle.build("triggered")
    build.created = utcnow() - timedelta(minutes=5)
    db.session.commit()
    get_redis().set(f"docshelf:build:{build.id}:requeues", build_health.MAX_REQUEUES)
    requeued = build_health.requeue_lost_builds(grace=60)
    assert build.id not in requeued
    lifecycle.assert_ended(build.id, "finished", False, "build:failed", "build:failed")
    assert "could not be started" in (fresh(build.id).error or "")


def test_a_trigger_whose_enqueue_failed(app, lifecycle, monkeypatch):
    """Redis refuses the build's job: the row ends cancelled. The waiting build cannot be woken while
    Redis is down, so this path checks the other three and that the failure to wake is survived."""
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    monkeypatch.setitem(app.extensions, "docshelf_redis", dead)
    lifecycle.version.active = True
    db.session.commit()
    with pytest.raises(RetryableError):
        builds.trigger_build(lifecycle.project, lifecycle.version)
    build_id = db.session.scalar(select(Build.id).where(Build.version_id == lifecycle.version.id))
    build = fresh(build_id)
    assert (build.state, build.success) == ("cancelled", False) and "could not be queued" in build.error
    notes = db.session.scalars(select(Notification.message_id).where(Notification.build_id == build_id)).all()
    assert notes == ["build:cancelled"]
    rows = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.build_id == build_id)).all()
    assert [(d.event, d.state) for d in rows] == [("build:failed", "failed")]  # recorded, not queueable
    assert fresh(lifecycle.waiting.id).job_id == lifecycle.retry


def test_a_build_ends_once(lifecycle):
    """Two parties ending one build (its worker, housekeeping): the second changes nothing."""
    build = lifecycle.build("building")
    assert build_control.finish_build(build, success=True) is True
    first = fresh(build.id).finished
    assert build_control.finish_build(fresh(build.id), success=False, error="late") is False
    build = fresh(build.id)
    assert (build.state, build.success, build.error, build.finished) == ("finished", True, None, first)
    events = db.session.scalars(select(WebhookDelivery.event)
                                .where(WebhookDelivery.build_id == build.id)).all()
    assert events == ["build:passed"]
