"""Figure 9: readers polling while builds run and writes land, against the same readers on an idle system.

Readers are what users run: a CI job polling its build, a dashboard refreshing a project with its
versions, a follower tailing a log (``log.txt?offset=N``). ``READERS`` threads loop over those three
reads, each on its own keep-alive connection, through gunicorn (``docshelf up``'s settings, read cache
on, as deployed). Phase one measures them on an idle system. Phase two measures the same readers while
two builds run (each prints a line every 50 ms for the whole phase, so their logs grow and their
commands commit) and a writer PATCHes a project every 200 ms; after each PATCH the writer reads the
project back (through whichever gunicorn worker answers) and counts an answer that does not show its
own write as stale.

Aims: busy throughput ≥ 0.8 of idle, busy p99 ≤ 2 × idle p99, stale answers = 0.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import threading
import time
from typing import Any

from sqlalchemy import create_engine, update

from app.models import Project
from bench import report
from bench.harness import BenchEnv, Server
from bench.queues import GIT_ENV
from bench.seed import seed_projects, user_id

READERS = 3
WRITE_EVERY = 0.2


def _slow_repo(root: str, seconds: float) -> str:
    """A repository whose build prints a line every 50 ms for ``seconds``, then publishes a page."""
    repo = os.path.join(root, "slow-repo")
    os.makedirs(repo)
    lines = int(seconds / 0.05)
    config = ("version: 2\nbuild:\n  os: ubuntu-24.04\n  tools:\n    python: \"3\"\n  commands:\n"
              f"    - \"for i in $(seq 1 {lines}); do echo line $i; sleep 0.05; done\"\n"
              "    - mkdir -p $READTHEDOCS_OUTPUT/html\n"
              "    - echo '<h1>slow</h1>' > $READTHEDOCS_OUTPUT/html/index.html\n")
    with open(os.path.join(repo, ".readthedocs.yaml"), "w") as fh:
        fh.write(config)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "slow"]):
        subprocess.run(["git", *args], cwd=repo, env=dict(GIT_ENV, HOME=root), check=True)
    return repo


class Client:
    def __init__(self, server: Server, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes, http.client.HTTPResponse]:
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.will_close:
            self.conn.close()
        return response.status, data, response


class Readers:
    """``READERS`` pollers of a project, a build and its log tail; latencies of every read."""

    def __init__(self, server: Server, token: str, project: str, build_id: int) -> None:
        self.server, self.token = server, token
        self.paths = [f"/api/v3/projects/{project}/?expand=active_versions",
                      f"/api/v3/projects/{project}/builds/{build_id}/"]
        self.log = f"/api/v3/projects/{project}/builds/{build_id}/log.txt"
        self.latencies: list[float] = []
        self.failures = 0
        self.lock = threading.Lock()

    def run(self, seconds: float) -> None:
        client, offset, mine = Client(self.server, self.token), 0, []
        stop_at, n = time.monotonic() + seconds, 0
        while time.monotonic() < stop_at:
            path = self.paths[n % 2] if n % 3 else f"{self.log}?offset={offset}"
            started = time.perf_counter()
            status, _data, response = client.call("GET", path)
            mine.append(time.perf_counter() - started)
            if status != 200:
                with self.lock:
                    self.failures += 1
            elif path.startswith(self.log):
                offset = int(response.headers.get("Docshelf-Log-Offset", offset))
            n += 1
        with self.lock:
            self.latencies.extend(mine)

    def measure(self, seconds: float) -> dict[str, float]:
        self.latencies, self.failures = [], 0
        threads = [threading.Thread(target=self.run, args=(seconds,)) for _ in range(READERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ordered = sorted(self.latencies)
        return {"rps": len(ordered) / seconds, "p50": statistics.median(ordered),
                "p99": ordered[int(len(ordered) * 0.99) - 1], "failures": self.failures}


def _writer(server: Server, token: str, project: str, seconds: float, out: dict[str, int]) -> None:
    """PATCH every 200 ms, then read back at once: an answer without the write is stale."""
    client = Client(server, token)
    stop_at, n = time.monotonic() + seconds, 0
    while time.monotonic() < stop_at:
        name = f"Mixed {n}"
        status, _data, _response = client.call("PATCH", f"/api/v3/projects/{project}/", {"name": name})
        out["writes"] += status == 204
        status, data, _response = client.call("GET", f"/api/v3/projects/{project}/?expand=active_versions")
        if status != 200 or json.loads(data)["name"] != name:
            out["stale"] += 1
        n += 1
        time.sleep(WRITE_EVERY)


def run(env: BenchEnv, options: Any) -> dict[str, Any]:
    seconds = options.seconds
    token = env.user_token("mixed")
    engine = create_engine(env.database_url)
    slugs = seed_projects(engine, user_id(engine, "mixed"), "mixed", 3)
    repo = _slow_repo(env.root + "/mixed", seconds + 30)
    with engine.begin() as conn:
        conn.execute(update(Project).where(Project.slug.in_(slugs)).values(repository_url=repo))
    engine.dispose()
    server = env.gunicorn("docshelf-mixed", "app.wsgi:app")
    poll = Client(server, token)
    _status, data, _r = poll.call("GET", f"/api/v3/projects/{slugs[0]}/builds/?limit=1")
    build_id = json.loads(data)["results"][0]["id"]  # a finished build the seed made
    readers = Readers(server, token, slugs[0], build_id)
    readers.measure(min(3.0, seconds))  # warm-up
    idle = readers.measure(seconds)

    workers = [env.worker("--name", f"bench-mixed-{n}") for n in range(2)]
    building = []
    for slug in slugs[1:]:
        _s, data, _r = poll.call("POST", f"/api/v3/projects/{slug}/versions/latest/builds/", {})
        building.append((slug, json.loads(data)["build"]["id"]))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # both builds printing before the busy phase starts
        states = [json.loads(poll.call("GET", f"/api/v3/projects/{s}/builds/{b}/")[1])["state"]["code"]
                  for s, b in building]
        if all(s == "building" for s in states):
            break
        time.sleep(0.5)
    busy_readers = Readers(server, token, slugs[1], building[0][1])  # now following a running build
    counts = {"writes": 0, "stale": 0}
    writer = threading.Thread(target=_writer, args=(server, token, slugs[0], seconds, counts))
    writer.start()
    busy = busy_readers.measure(seconds)
    writer.join()
    for proc in (server.process, *workers):
        env.stop(proc)
    return report.figure(
        9, "Mixed traffic: polling while builds run and writes land",
        [report.row("reads/s, busy vs idle", busy["rps"], idle["rps"], "req/s", ">= 0.8"),
         report.row("read p99, busy vs idle", busy["p99"], idle["p99"], "s", "<= 2"),
         report.row("read p50, busy vs idle", busy["p50"], idle["p50"], "s"),
         report.count_row("answers older than the reader's own write", counts["stale"]),
         report.count_row("failed reads", int(idle["failures"] + busy["failures"]))],
        idle=idle, busy=busy, writes=counts["writes"],
        note=f"{READERS} readers (project ?expand=active_versions, a build, its log tail) for "
             f"{seconds:.0f} s idle, then while 2 builds print a line every 50 ms and a PATCH lands every "
             f"{WRITE_EVERY} s ({counts['writes']} writes, each read back at once).",
    )
