"""A real ``docshelf worker`` process: cancel a running build, and SIGKILL a worker mid-build."""

from __future__ import annotations

import os
import signal
import time
import uuid

from app.crypto import encrypt
from app.extensions import db, get_redis
from app.models import BuildCommand
from app.services import build_health
from app.services.builds import trigger_build
from tests import factories
from tests.workers.conftest import fresh, pid_alive, processes_with, session_pids, sphinx_files, wait_for
from workers.housekeeping import CHAIN_KEY

SLOW_CONFIG = """version: 2
sphinx:
  configuration: docs/conf.py
build:
  jobs:
    pre_build:
      - "exec -a sleeper-$TOKEN sleep 120"
"""


def _slow_project(user, make_repo, tmp_path, slug: str):
    files = sphinx_files("Slow")
    files[".readthedocs.yaml"] = SLOW_CONFIG
    project = factories.ProjectFactory(name=slug.title(), slug=slug, repository_url=make_repo(files).url,
                                       maintainers=[user])
    token = f"{slug}-{uuid.uuid4().hex}"
    factories.EnvironmentVariableFactory(project=project, name="TOKEN", value_encrypted=encrypt(token),
                                         value_length=len(token))
    return project, token


def _sleeping(build_id: int, token: str) -> int:
    """Wait until the build runs its ``sleep`` (marked with the token) and return its host pid."""
    def running() -> bool:
        db.session.rollback()
        sleeping = db.session.query(BuildCommand).filter(
            BuildCommand.build_id == build_id, BuildCommand.command.contains("sleep 120"),
            BuildCommand.end_time.is_(None)).count() == 1
        return sleeping and len(processes_with(f"sleeper-{token}")) == 1

    wait_for(running, timeout=60)
    return processes_with(f"sleeper-{token}")[0]


def test_cancel_a_running_build(client, user, headers, make_repo, tmp_path, worker_process):
    project, token = _slow_project(user, make_repo, tmp_path, "cancelme")
    worker_process("--housekeeping-interval", "60")
    build = trigger_build(project, project.versions[0])
    sleeper = _sleeping(build.id, token)
    assert fresh(build.id).state == "building"
    log = client.get(f"/api/v3/projects/cancelme/builds/{build.id}/log.txt").text
    assert "$ exec -a sleeper-$TOKEN sleep 120\n[running]" in log  # readable while it runs

    asked = time.monotonic()
    response = client.post(f"/api/v3/projects/cancelme/builds/{build.id}/cancel/", headers=headers)
    assert response.status_code == 202 and response.json["state"]["code"] == "building"
    wait_for(lambda: fresh(build.id).state == "cancelled", timeout=15)
    assert time.monotonic() - asked < 10
    build = fresh(build.id)
    assert build.success is False and build.error == "The build was cancelled."
    assert "the build was cancelled" in build.commands[-1].output
    wait_for(lambda: not pid_alive(sleeper), timeout=5)
    assert not os.path.exists(os.path.join(project_storage(client), "cancelme", "latest"))


def project_storage(client) -> str:
    return client.application.config["STORAGE_DIR"]


def test_sigkill_mid_build_is_recovered_by_housekeeping(user, make_repo, tmp_path, worker_process):
    project, token = _slow_project(user, make_repo, tmp_path, "killed")
    worker = worker_process("--housekeeping-interval", "1")
    # Once the start-up run has scheduled the chain, recovery below comes from the periodic runs.
    wait_for(lambda: get_redis().exists(CHAIN_KEY), timeout=20)
    build = trigger_build(project, project.versions[0])
    sleeper = _sleeping(build.id, token)
    horse = build_health.last_beat(build.id)["pid"]
    assert horse != worker.pid and horse in session_pids(worker.pid)

    os.kill(horse, signal.SIGKILL)  # the process running the build dies without a word
    killed = time.monotonic()
    wait_for(lambda: fresh(build.id).is_final, timeout=20)
    assert time.monotonic() - killed < 10  # within a few housekeeping intervals
    build = fresh(build.id)
    assert (build.state, build.success) == ("finished", False)
    assert "stopped unexpectedly" in build.error and "building" in build.error
    wait_for(lambda: not pid_alive(sleeper), timeout=5)  # the build's command died with it

    # The surviving worker keeps working: the next build of the project runs normally.
    project.versions[0].active = True
    db.session.commit()
    again = trigger_build(project, project.versions[0])
    _sleeping(again.id, token)
    assert worker.poll() is None


def test_a_whole_worker_killed_is_recovered_by_the_next_one(user, make_repo, tmp_path, worker_process):
    project, token = _slow_project(user, make_repo, tmp_path, "restart")
    first = worker_process("--housekeeping-interval", "60")
    build = trigger_build(project, project.versions[0])
    sleeper = _sleeping(build.id, token)
    for pid in session_pids(first.pid):  # worker, work horse and scheduler: all gone at once
        os.kill(pid, signal.SIGKILL)
    first.wait(timeout=10)
    wait_for(lambda: not pid_alive(sleeper), timeout=5)
    assert fresh(build.id).state == "building"  # nobody left to say otherwise
    worker_process("--housekeeping-interval", "60")  # e.g. systemd restarting the service
    wait_for(lambda: fresh(build.id).is_final, timeout=20)
    assert fresh(build.id).success is False and "stopped unexpectedly" in fresh(build.id).error


def test_two_workers_respect_the_project_limit(user, make_repo, worker_process):
    files = sphinx_files("Limited")
    files[".readthedocs.yaml"] = "version: 2\nbuild:\n  jobs:\n    pre_build: ['sleep 1']\n"
    repo = make_repo(files)
    repo.branch("other")
    project = factories.ProjectFactory(name="Limited", slug="limited", repository_url=repo.url,
                                       maintainers=[user], max_concurrent_builds=1)
    other = factories.VersionFactory(project=project, slug="other", identifier="other", active=True)
    for _ in range(2):
        worker_process("--housekeeping-interval", "60")
    first = trigger_build(project, project.versions[0])
    second = trigger_build(project, other)
    wait_for(lambda: fresh(first.id).is_final and fresh(second.id).is_final, timeout=60)
    builds = sorted((fresh(first.id), fresh(second.id)), key=lambda b: b.started)
    assert all(b.success for b in builds), [b.error for b in builds]
    assert builds[1].started >= builds[0].finished  # never two at once
    assert builds[1].job_id.startswith(f"build-{builds[1].id}-")  # it waited, then ran on a new attempt
