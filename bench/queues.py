"""Figures 4 and 6: the build queue against RQ itself, with real ``docshelf worker`` processes.

Builds are "trivial": each project's repository is a local git repo whose ``.readthedocs.yaml`` uses
``build.commands`` to write one HTML page, so a build runs the whole pipeline (claim, clone, version
sync, checkout, config, virtualenv, command, publish, finish) with no Sphinx or MkDocs start-up.

4. Trigger-to-start: wall clock before ``POST .../builds/`` → the build row's ``started`` (set when the
   worker claims it, leaving ``triggered``, just before it forks the work horse), one idle worker;
   baseline: before ``enqueue`` of :func:`bench.jobs.noop` → RQ's ``job.started_at`` on the same
   worker. Medians of ``--samples``. Also recorded, with no aim: when the build's first command
   started (the work horse running the pipeline, on its own database connection).
5. (see :mod:`bench.serving`)
6. ``--builds`` triggers through the API with 2 workers running, timed from the first trigger to the
   last final state; baseline: as many no-op jobs through the same 2 workers. Lost = builds not final
   once the queue has drained + builds whose job vanished from Redis while the row is not final.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from rq import Queue, Worker
from rq.job import Job
from sqlalchemy import Engine, create_engine, func, select

from app.models import Build, BuildCommand
from app.models.build import FINAL_STATES
from bench import report
from bench.harness import BenchEnv, Server
from bench.seed import seed_projects, user_id

READTHEDOCS_YAML = """version: 2
build:
  os: ubuntu-24.04
  tools:
    python: "3"
  commands:
    - mkdir -p $READTHEDOCS_OUTPUT/html
    - echo '<html><body><h1>Trivial</h1></body></html>' > $READTHEDOCS_OUTPUT/html/index.html
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
DRAIN_TIMEOUT = 600.0


def make_repo(root: str) -> str:
    repo = os.path.join(root, "trivial-repo")
    os.makedirs(repo)
    with open(os.path.join(repo, ".readthedocs.yaml"), "w") as fh:
        fh.write(READTHEDOCS_YAML)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "trivial"]):
        subprocess.run(["git", *args], cwd=repo, env=dict(GIT_ENV, HOME=root), check=True)
    return repo


def _trigger(server: Server, token: str, slug: str) -> int:
    request = urllib.request.Request(f"{server.url}/api/v3/projects/{slug}/versions/latest/builds/",
                                     data=b"{}", method="POST",
                                     headers={"Authorization": f"Token {token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
        assert response.status == 202, response.status
        return int(json.load(response)["build"]["id"])


def _states(engine: Engine, ids: list[int]) -> dict[int, tuple[str, bool | None, datetime | None]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Build.id, Build.state, Build.success, Build.started)
                            .where(Build.id.in_(ids))).all()
    return {row.id: (row.state, row.success, row.started) for row in rows}


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _idle(redis: Redis, count: int) -> bool:
    workers = Worker.all(connection=redis)
    return len(workers) >= count and all(w.get_state() == "idle" for w in workers)


def _first_command(engine: Engine, build_id: int) -> datetime | None:
    with engine.connect() as conn:
        return conn.scalar(select(func.min(BuildCommand.start_time)).where(BuildCommand.build_id == build_id))


def _builds_done(engine: Engine, ids: list[int]) -> bool:
    return all(state in FINAL_STATES for state, _s, _t in _states(engine, ids).values())


def _projects(env: BenchEnv, engine: Engine, repo: str, prefix: str, count: int) -> list[str]:
    from sqlalchemy import update

    from app.models import Project

    slugs = seed_projects(engine, user_id(engine, "queue"), prefix, count)
    with engine.begin() as conn:  # the seeded rows, pointed at the trivial repository
        conn.execute(update(Project).where(Project.slug.in_(slugs)).values(repository_url=repo))
    return slugs


def _epoch(moment: Any) -> float:
    """RQ keeps naive UTC datetimes; the database aware ones."""
    return float(moment.replace(tzinfo=UTC).timestamp() if moment.tzinfo is None else moment.timestamp())


#: Where a build's start latency goes, in order (see _stages).
STAGES = ("api_to_enqueue", "enqueue_to_claim", "claim_to_job_start")


def _stages(redis: Redis, build_id: int, sent: float, started: float) -> dict[str, float]:
    """One build's latency split: the API until RQ enqueued the job, the worker until it claimed the
    build (it claims before forking the work horse), then the fork and RQ's own bookkeeping in the
    horse until RQ's ``started_at`` (after the build's start: not part of the figure, shown for
    comparison with the baseline, which stops there)."""
    job = Job.fetch(f"build-{build_id}", connection=redis)
    enqueued, began = _epoch(job.enqueued_at), _epoch(job.started_at)
    return {"api_to_enqueue": enqueued - sent, "enqueue_to_claim": started - enqueued,
            "claim_to_job_start": began - started}


def trigger_to_start(env: BenchEnv, engine: Engine, redis: Redis, server: Server, token: str,
                     slugs: list[str]) -> dict[str, Any]:
    builds: list[float] = []
    answers: list[float] = []  # the POST's own round trip: how much of the latency is the API's
    stages: list[dict[str, float]] = []  # where each build's latency went (see _stages)
    first_commands: list[float] = []  # POST → the pipeline's first command: the horse at work
    for slug in slugs:
        _wait(lambda: _idle(redis, 1), 60, "an idle worker")
        sent = time.time()
        build_id = _trigger(server, token, slug)
        answers.append(time.time() - sent)
        _wait(lambda b=build_id: _builds_done(engine, [b]), 120, f"build {build_id}")
        started = _states(engine, [build_id])[build_id][2]
        assert started is not None
        builds.append(started.timestamp() - sent)
        stages.append(_stages(redis, build_id, sent, started.timestamp()))
        first = _first_command(engine, build_id)
        if first is not None:
            first_commands.append(_epoch(first) - sent)
    queue = Queue("builds", connection=redis)
    jobs: list[float] = []
    for _ in slugs:
        _wait(lambda: _idle(redis, 1), 60, "an idle worker")
        sent = time.time()
        job = queue.enqueue("bench.jobs.noop")
        _wait(lambda j=job: j.get_status(refresh=True) == "finished", 60, "a no-op job")
        job = Job.fetch(job.id, connection=redis)
        assert job.started_at is not None
        jobs.append(job.started_at.timestamp() - sent)
    docshelf, rq = statistics.median(builds), statistics.median(jobs)
    return report.figure(
        4, "Trigger-to-start vs RQ enqueue-to-start",
        [report.row("median start latency", docshelf * 1e3, rq * 1e3, "ms", "<= 2")],
        samples=len(slugs), docshelf_ms=[round(x * 1e3, 2) for x in builds],
        rq_ms=[round(x * 1e3, 2) for x in jobs],
        trigger_response_median_ms=round(statistics.median(answers) * 1e3, 2),
        stages_median_ms={name: round(statistics.median(s[name] for s in stages) * 1e3, 2)
                          for name in STAGES},
        first_command_median_ms=round(statistics.median(first_commands) * 1e3, 2) if first_commands else None,
        note=f"one idle `docshelf worker`; median of {len(slugs)} API triggers (POST → build row leaves "
             "`triggered`) vs as many `enqueue` → `job.started_at` of a no-op job on the same worker.",
    )


def throughput(env: BenchEnv, engine: Engine, redis: Redis, server: Server, token: str,
               slugs: list[str]) -> dict[str, Any]:
    started = time.monotonic()
    ids = [_trigger(server, token, slug) for slug in slugs]
    triggered = time.monotonic() - started
    deadline = time.monotonic() + DRAIN_TIMEOUT
    queue = Queue("builds", connection=redis)
    while not _builds_done(engine, ids) and time.monotonic() < deadline:
        if queue.count == 0 and _idle(redis, 2) and not _builds_done(engine, ids):
            time.sleep(1)  # drained: one last look after the workers' final commits
            if queue.count == 0 and _idle(redis, 2):
                break
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    states = _states(engine, ids)
    not_final = [i for i, (state, _s, _t) in states.items() if state not in FINAL_STATES]
    vanished = [i for i in not_final if not Job.exists(f"build-{i}", connection=redis)]
    lost = len(not_final) + len(vanished) + (len(ids) - len(states))
    succeeded = sum(1 for _state, success, _t in states.values() if success)

    jobs_started = time.monotonic()
    jobs = [queue.enqueue("bench.jobs.noop") for _ in slugs]
    _wait(lambda: all(j.get_status(refresh=True) == "finished" for j in jobs), DRAIN_TIMEOUT, "no-op jobs")
    jobs_elapsed = time.monotonic() - jobs_started
    n = len(ids)
    return report.figure(
        6, "Queue throughput, 2 workers",
        [report.row("builds/s vs no-op jobs/s", n / elapsed, n / jobs_elapsed, "/s"),
         report.count_row("builds lost", lost)],
        builds=n, seconds=round(elapsed, 2), trigger_seconds=round(triggered, 2), succeeded=succeeded,
        not_final=not_final, vanished=vanished, lost=lost, noop_seconds=round(jobs_elapsed, 2),
        note=f"{n} trivial builds (build.commands writing one page: clone, sync, venv, publish; no Sphinx) "
             f"in {elapsed:.1f} s ({succeeded} succeeded), lost {lost} (must be 0); "
             f"{n} no-op RQ jobs in {jobs_elapsed:.1f} s through the same 2 workers.",
    )


def run(env: BenchEnv, options: Any, figures: set[int]) -> list[dict[str, Any]]:
    engine = create_engine(env.database_url)
    token = env.user_token("queue")
    repo = make_repo(env.root)
    redis = Redis.from_url(env.redis_url)
    server = env.gunicorn("docshelf-queue", "app.wsgi:app")
    results: list[dict[str, Any]] = []
    workers = [env.worker("--name", "bench-1")]
    if 4 not in figures:  # figure 4 wants exactly one idle worker; otherwise start both at once
        workers.append(env.worker("--name", "bench-2"))
    if 4 in figures:
        slugs = _projects(env, engine, repo, "start", options.samples)
        warm = _trigger(server, token, slugs[0])  # the worker's and the server's first-use paths
        _wait(lambda: _builds_done(engine, [warm]), 120, "the warm-up build")
        results.append(trigger_to_start(env, engine, redis, server, token, slugs))
    if 6 in figures:
        if len(workers) < 2:
            workers.append(env.worker("--name", "bench-2"))
        _wait(lambda: _idle(redis, 2), 60, "two idle workers")
        slugs = _projects(env, engine, repo, "queue", options.builds)
        results.append(throughput(env, engine, redis, server, token, slugs))
    for proc in [*workers, server.process]:
        env.stop(proc)
    engine.dispose()
    return results
