"""Figure 7: a soak of mixed traffic against the API under gunicorn, with a build worker running.

Four client threads loop for ``--soak-seconds`` over a fixed mix per 20 requests: 14 reads (project detail
with versions, projects list, builds list, versions list), 3 project PATCHes, 2 redirect writes (create,
then delete what was created) and 1 build trigger (trivial ``build.commands`` builds, see
:mod:`bench.queues`). An error is any response whose status is not the one that request expects
(200, 204, 201, 202), or a failed connection. Memory is the gunicorn workers' RSS read from /proc after
a warm-up and at the end; the ratio end/start is the growth.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import create_engine, update

from app.models import Project
from bench import report
from bench.harness import BenchEnv, Server, rss_bytes
from bench.queues import make_repo
from bench.seed import seed_projects, user_id

THREADS = 4
PROJECTS = 20
MIB = 1024 * 1024


class Traffic:
    def __init__(self, server: Server, token: str, slugs: list[str]) -> None:
        self.server, self.slugs = server, slugs
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.statuses: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.lock = threading.Lock()

    def _call(self, conn: http.client.HTTPConnection, method: str, path: str, expect: int,
              body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        kind = f"{method} {path.split('/')[5] if path.count('/') > 5 else path.split('?')[0]}"
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers=self.headers)
            response = conn.getresponse()
            data = response.read()
            status = str(response.status)
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            data, status = b"", type(exc).__name__
        with self.lock:
            self.statuses[status] += 1
            if status != str(expect):
                self.errors[f"{kind} -> {status}"] += 1
        return json.loads(data) if status == str(expect) and data else None

    def step(self, conn: http.client.HTTPConnection, n: int) -> None:
        slug = self.slugs[n % len(self.slugs)]
        api = f"/api/v3/projects/{slug}"
        op = n % 20
        if op < 14:
            path = [f"{api}/?expand=active_versions", "/api/v3/projects/?limit=20", f"{api}/builds/",
                    f"{api}/versions/"][op % 4]
            self._call(conn, "GET", path, 200)
        elif op < 17:
            self._call(conn, "PATCH", f"{api}/", 204, {"name": f"Soak {n}"})
        elif op < 19:
            created = self._call(conn, "POST", f"{api}/redirects/", 201,
                                 {"type": "page", "from_url": f"/old-{n}/", "to_url": f"/new-{n}/"})
            if created:
                self._call(conn, "DELETE", f"{api}/redirects/{created['pk']}/", 204)
        else:
            self._call(conn, "POST", f"{api}/versions/latest/builds/", 202, {})

    def run(self, seconds: float, offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        stop_at, n = time.monotonic() + seconds, offset
        while time.monotonic() < stop_at:
            self.step(conn, n)
            n += THREADS
        conn.close()


def _rss(server: Server) -> int:
    return sum(rss_bytes(pid) for pid in server.worker_pids())


def run(env: BenchEnv, options: Any) -> dict[str, Any]:
    token = env.user_token("soak")
    engine = create_engine(env.database_url)
    slugs = seed_projects(engine, user_id(engine, "soak"), "soak", PROJECTS)
    repo = make_repo(env.root + "/soak")
    with engine.begin() as conn:
        conn.execute(update(Project).where(Project.slug.in_(slugs)).values(repository_url=repo))
    engine.dispose()
    worker = env.worker("--name", "bench-soak")
    server = env.gunicorn("docshelf-soak", "app.wsgi:app")
    warm = Traffic(server, token, slugs)
    warm_threads = [threading.Thread(target=warm.run, args=(min(10.0, options.soak_seconds / 10), n))
                    for n in range(THREADS)]
    for thread in warm_threads:
        thread.start()
    for thread in warm_threads:
        thread.join()
    start_rss, samples = _rss(server), []
    traffic = Traffic(server, token, slugs)
    threads = [threading.Thread(target=traffic.run, args=(options.soak_seconds, n)) for n in range(THREADS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        samples.append((round(time.monotonic() - started, 1), round(_rss(server) / MIB, 1)))
        time.sleep(min(10.0, max(0.5, options.soak_seconds / 30)))
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    end_rss = _rss(server)
    for proc in (server.process, worker):
        env.stop(proc)
    total = sum(traffic.statuses.values())
    errors = sum(traffic.errors.values())
    rate = 100.0 * errors / total if total else 100.0
    return report.figure(
        7, "Soak, mixed traffic",
        [report.row("API workers' RSS end/start", end_rss / MIB, start_rss / MIB, "MiB"),
         report.value_row("error rate (errors / requests)", rate, "%"),
         report.count_row("requests failing", errors)],
        seconds=round(elapsed, 1), requests=total, rps=round(total / elapsed, 1), errors=dict(traffic.errors),
        statuses=dict(traffic.statuses), rss_mib_samples=samples,
        note=f"{elapsed:.0f} s, {THREADS} clients, {total:,} requests ({total / elapsed:.0f}/s): 70% reads, "
             f"15% PATCH, 10% redirect create+delete, 5% build triggers (1 worker); error rate "
             f"{rate:.3f} %; RSS of the 2 gunicorn workers {start_rss / MIB:.1f} → {end_rss / MIB:.1f} MiB.",
    )
