"""Crash safety in-process: dead builds are finished, lost jobs re-queued, one housekeeping chain."""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta

from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from app.extensions import DEFAULT_QUEUE, db, get_redis
from app.models.base import utcnow
from app.services import build_health
from app.services.builds import trigger_build
from tests import factories
from tests.workers.conftest import fresh, work
from tests.workers.test_sandbox_attacks import _log
from workers import housekeeping as chain
from workers.jobs import housekeeping


def test_a_running_build_without_heartbeat_is_finished_as_failed(user):
    version = factories.VersionFactory()
    stale = factories.BuildFactory(version=version, state="building", success=None,
                                   started=utcnow() - timedelta(minutes=5))
    alive = factories.BuildFactory(version=factories.VersionFactory(project=version.project), state="cloning",
                                   success=None, started=utcnow() - timedelta(minutes=5))
    build_health.beat(alive.id)  # this process is alive and beating
    result = housekeeping(interval=60, stale_after=30)
    assert result["reaped"] == [stale.id]
    stale = fresh(stale.id)
    assert (stale.state, stale.success) == ("finished", False)
    assert "worker running it stopped unexpectedly" in stale.error and "building" in stale.error
    assert stale.commands[-1].command == "docshelf housekeeping"
    assert fresh(alive.id).state == "cloning"


def test_a_heartbeat_from_a_dead_process_on_this_host_is_dead_at_once(user):
    build = factories.BuildFactory(state="installing", success=None, started=utcnow())
    beat = {"ts": time.time(), "pid": 2**22 + 12345, "host": socket.gethostname()}  # fresh, but no such pid
    get_redis().set(f"docshelf:build:{build.id}:heartbeat", json.dumps(beat))
    assert housekeeping(interval=60, stale_after=3600)["reaped"] == [build.id]
    assert fresh(build.id).success is False


def test_a_triggered_build_whose_job_vanished_is_requeued_and_built(user, sphinx_repo):
    project = factories.ProjectFactory(name="Lost", slug="lost", repository_url=sphinx_repo.url,
                                       maintainers=[user])
    build = trigger_build(project, project.versions[0])
    Job.fetch(build.job_id, connection=get_redis()).delete()  # Redis lost it (restart without persistence)
    build.created = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert housekeeping(interval=60, stale_after=60)["requeued"] == [build.id]
    assert fresh(build.id).job_id == f"build-{build.id}-2"
    work()
    done = fresh(build.id)
    assert (done.state, done.success) == ("finished", True), (done.error, _log(build.id)[-3000:])


def test_one_chain_however_many_workers_start(user):
    connection = get_redis()
    assert chain.ensure_scheduled(connection, 30, 120) is True
    assert chain.ensure_scheduled(connection, 30, 120) is False
    scheduled = ScheduledJobRegistry(queue=Queue(DEFAULT_QUEUE, connection=connection)).get_job_ids()
    assert len(scheduled) == 1
    # The chained run releases the key and schedules its successor.
    housekeeping(interval=30, stale_after=120, chained=True)
    scheduled = ScheduledJobRegistry(queue=Queue(DEFAULT_QUEUE, connection=connection)).get_job_ids()
    assert len(scheduled) == 2 and connection.exists(chain.CHAIN_KEY)
