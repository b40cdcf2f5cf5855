"""The worker process claims a build before it forks the work horse (workers.cli.DocshelfWorker).

Real ``docshelf worker`` processes, except where a test needs to act between the worker's claim and the
horse's start: there a forking DocshelfWorker runs in this process, the test's hook after its claim.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from typing import Any

import pytest
from rq.job import Job
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import BUILDS_QUEUE, db, get_queue, get_redis
from app.services.build_control import (
    Claim,
    cancel_build,
    claim_build,
    enqueue_attempt,
    finish_build,
    start_waiting_builds,
)
from app.services.builds import trigger_build
from app.services.queueing import RUN_BUILD
from bench.queues import READTHEDOCS_YAML as TRIVIAL_BUILD  # the whole pipeline, no Sphinx
from tests import factories
from tests.workers.conftest import fresh, wait_for
from workers.cli import DocshelfWorker


def _project(user: Any, make_repo: Any, slug: str, **fields: Any) -> Any:
    repo = make_repo({".readthedocs.yaml": TRIVIAL_BUILD})
    return factories.ProjectFactory(name=slug.title(), slug=slug, repository_url=repo.url, maintainers=[user],
                                    **fields)


def _utc(moment: datetime) -> datetime:
    """RQ keeps naive UTC datetimes; the database aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _job(job_id: str) -> Job:
    return Job.fetch(job_id, connection=get_redis())


def _result(job_id: str) -> Any:
    """What the job returned, once RQ has stored it (just after the build row's last change)."""
    wait_for(lambda: _job(job_id).get_status() == "finished", timeout=30)
    return _job(job_id).return_value()


def _triggered(user: Any, job_id: str) -> Any:
    project = factories.ProjectFactory(maintainers=[user])
    return factories.BuildFactory(version=project.versions[0], state="triggered", success=None, started=None,
                                  finished=None, job_id=job_id)


def test_a_claim_holds_for_its_own_attempt_only(user):
    build = _triggered(user, "build-1")
    assert claim_build(build.id, "build-1-2") is Claim.STARTED
    assert (fresh(build.id).state, fresh(build.id).job_id) == ("cloning", "build-1-2")  # who claimed it
    started = fresh(build.id).started
    assert claim_build(build.id, "build-1-2") is Claim.STARTED  # the horse of the attempt claimed for
    assert claim_build(build.id, "build-1-3") is Claim.GONE
    assert claim_build(build.id) is Claim.GONE
    assert fresh(build.id).started == started


def test_a_new_attempt_never_takes_over_a_build_an_older_one_claimed(user):
    build = _triggered(user, "build-1")
    waiting = fresh(build.id)  # e.g. start_waiting_builds' view, just before the old attempt claims
    assert claim_build(build.id, "build-1") is Claim.STARTED
    assert enqueue_attempt(waiting) is None  # the build left "triggered": no new attempt is queued
    assert fresh(build.id).job_id == "build-1"  # the claimer stays
    assert claim_build(build.id, f"build-{build.id}-2") is Claim.GONE  # any later attempt's horse skips it


def test_two_parties_waking_one_waiting_build_queue_one_attempt(user):
    """Two finishing builds see the same waiting build and both bring its retry forward: one attempt
    is queued, once (the id is compare-and-set before the job is queued)."""
    build = _triggered(user, None)
    retry = enqueue_attempt(fresh(build.id), delay=3600)
    newer = enqueue_attempt(fresh(build.id))
    assert newer == f"build-{build.id}-3" and retry == f"build-{build.id}-2"
    late_view = fresh(build.id)
    set_committed_value(late_view, "job_id", retry)  # the other party read the row before the first acted
    assert enqueue_attempt(late_view) is None
    assert fresh(build.id).job_id == newer
    assert get_queue(BUILDS_QUEUE).job_ids.count(newer) == 1


def test_a_build_being_triggered_is_not_woken_twice(user):
    """Between a trigger's commit and its enqueue the build has an id but no job yet: a finishing build
    waking waiting builds then must leave it alone rather than queue a second attempt."""
    build = _triggered(user, None)
    build.job_id = f"build-{build.id}"  # committed; the trigger has not reached Redis yet
    db.session.commit()
    assert start_waiting_builds(build.project_id) == []
    assert fresh(build.id).job_id == f"build-{build.id}" and get_queue(BUILDS_QUEUE).job_ids == []


def test_a_build_claimed_by_the_worker_process_runs_to_success(user, make_repo, worker_process):
    project = _project(user, make_repo, "preclaimed")
    worker_process("--housekeeping-interval", "60")
    build = trigger_build(project, project.versions[0])
    wait_for(lambda: fresh(build.id).is_final, timeout=90)
    build = fresh(build.id)
    assert (build.state, build.success) == ("finished", True), build.error
    job = _job(build.job_id)
    assert job.id == f"build-{build.id}" and _result(job.id) == "finished"
    # Claimed before the fork: earlier than RQ marking the job started, which the work horse does.
    assert build.started < _utc(job.started_at)


def test_a_build_waiting_for_a_slot_is_claimed_later(user, make_repo, worker_process):
    project = _project(user, make_repo, "full", max_concurrent_builds=1)
    other = factories.VersionFactory(project=project, slug="other", identifier="main")
    running = factories.BuildFactory(version=other, state="building", success=None, finished=None)
    worker_process("--housekeeping-interval", "60", "--stale-after", "3600")  # housekeeping spares `running`
    build = trigger_build(project, project.versions[0])
    # The worker's claim and the horse's both found the slot taken: the build waits for a later attempt.
    wait_for(lambda: fresh(build.id).job_id == f"build-{build.id}-2", timeout=30)
    assert fresh(build.id).state == "triggered" and fresh(build.id).started is None
    assert _result(f"build-{build.id}") == "waiting"

    finish_build(fresh(running.id), success=True)  # the slot frees: the waiting build starts at once
    wait_for(lambda: fresh(build.id).is_final, timeout=90)
    build = fresh(build.id)
    assert (build.state, build.success) == ("finished", True), build.error
    assert build.job_id == f"build-{build.id}-3" and build.started >= fresh(running.id).finished
    assert build.started < _utc(_job(build.job_id).started_at)  # the worker process claimed it


class _CancelAfterClaim(DocshelfWorker):
    """Cancels each build right after the worker process claimed it, before the work horse starts."""

    claimed: tuple[Any, str] | None = None

    def claim_before_fork(self, job: Job) -> Any:
        claim = super().claim_before_fork(job)
        self.claimed = (claim, fresh(job.args[0]).state)
        cancel_build(fresh(job.args[0]))
        db.session.remove()  # no connection of this process's session crosses the fork
        return claim


def _fork_work(worker_class: type[DocshelfWorker]) -> DocshelfWorker:
    """Run the queued builds with a forking worker in this process (burst mode)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    db.session.remove()
    worker = worker_class([get_queue(BUILDS_QUEUE)], connection=get_redis())
    try:
        worker.work(burst=True)
    finally:
        for sig, handler in handlers.items():  # work() installs RQ's
            signal.signal(sig, handler)
    return worker


def test_a_claimed_build_cancelled_before_the_horse_starts_ends_cancelled(user, make_repo):
    project = _project(user, make_repo, "cancelled-early")
    build = trigger_build(project, project.versions[0])
    worker = _fork_work(_CancelAfterClaim)
    assert isinstance(worker, _CancelAfterClaim)
    assert worker.claimed == ("started", "cloning")
    build = fresh(build.id)
    assert (build.state, build.success, build.error) == ("cancelled", False, "The build was cancelled.")
    assert build.commands == []  # stopped at the pipeline's first checkpoint, before any command
    assert _result(build.job_id) == "cancelled"


def test_a_failing_claim_before_the_fork_leaves_the_worker_working(user, make_repo, worker_process, tmp_path):
    """A database error in the worker's claim is logged; the horse claims (and fails) on its own."""
    worker = worker_process("--housekeeping-interval", "60")
    # An id no integer column holds: the worker's claim fails in the database driver.
    broken = get_queue(BUILDS_QUEUE).enqueue(RUN_BUILD, 2**63, job_id="build-broken")
    wait_for(lambda: _job(broken.id).get_status() == "failed", timeout=30)
    project = _project(user, make_repo, "after-failure")
    build = trigger_build(project, project.versions[0])
    wait_for(lambda: fresh(build.id).is_final, timeout=90)
    assert fresh(build.id).success is True, fresh(build.id).error
    assert worker.poll() is None
    log = (tmp_path / "worker0.log").read_text()
    assert "job build-broken: claiming its build before the fork failed" in log


def _sockets(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def _local_ports(pid: int, remote_port: int) -> set[int]:
    """Local TCP ports of ``pid``'s connections to ``remote_port`` (/proc/<pid>/net/tcp*: hex ports)."""
    inodes, ports = _sockets(pid), set()
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == remote_port:
                    ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def _server_ports() -> set[int]:
    from sqlalchemy import text

    return set(db.session.scalars(text("SELECT client_port FROM pg_stat_activity "
                                       "WHERE datname = current_database() AND client_port IS NOT NULL")))


def test_work_horses_leave_the_worker_processs_connection_alone(user, make_repo, worker_process):
    """On PostgreSQL the worker keeps its connection warm across forks; no horse uses or ends it."""
    if db.engine.dialect.name != "postgresql" or db.engine.url.host not in ("127.0.0.1", "localhost"):
        pytest.skip("needs PostgreSQL over TCP on this host (DOCSHELF_TEST_DATABASE_URL)")
    port = db.engine.url.port or 5432
    project = _project(user, make_repo, "warm")
    worker = worker_process("--housekeeping-interval", "60")
    first = trigger_build(project, project.versions[0])
    wait_for(lambda: fresh(first.id).is_final, timeout=90)
    before = _local_ports(worker.pid, port)
    assert before and before <= _server_ports()  # the worker's own pooled connection, open on the server

    project.versions[0].active = True
    db.session.commit()
    second = trigger_build(project, project.versions[0])
    wait_for(lambda: fresh(second.id).is_final, timeout=90)
    for build in (first, second):
        assert fresh(build.id).success is True, fresh(build.id).error
        assert fresh(build.id).started < _utc(_job(fresh(build.id).job_id).started_at)
    db.session.rollback()
    assert _local_ports(worker.pid, port) == before and before <= _server_ports()  # the same, still alive
