"""Figures 1 and 2: API throughput and latency against a bare Flask app, then the same on a large database.

Figure 1 measures three endpoints through gunicorn (``docshelf up``'s settings) with a token of a user
who maintains :data:`SMALL` projects, and the same paths on the baseline app serving the very bytes
Docshelf answered. Docshelf runs as configured by default, i.e. with its response cache (repeated reads
are answered from memory until the next write: what a polling client gets); the same load on a second
server with the cache switched off is reported beside it, with issue 15's aims: what every read costs
when it must be computed (after any write), the path a poller pays while builds run.

Figure 2 then adds another user's projects until the database holds 10,000 projects, 50,000 versions
and 100,000 builds, and measures the same endpoints again on the cache-less server (the cache would
hide exactly what this figure is about: queries that grow with the tables). The responses are
identical (the user's page is the same), so the large/small ratio is the cost of scale.

``SMALL`` is 100, not 10: the smallest database whose list-100 page is full, so that neither figure
compares a 10-item page with a 100-item one.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from typing import Any

from sqlalchemy import create_engine, text

from bench import report
from bench.harness import BenchEnv, Server
from bench.load import LoadResult, generator_name, measure
from bench.seed import BUILDS, VERSIONS, seed_projects, user_id

SMALL = 100
LARGE_PROJECTS = 10_000
AIMS = {"project detail": ">= 0.5", "projects list-100": ">= 0.3", "builds list": None}
#: Every read computed (issue 15): the path a poller pays whenever something changed.
AIMS_UNCACHED = {"project detail": ">= 0.2", "projects list-100": ">= 0.1", "builds list": None}


def _get(url: str, headers: dict[str, str]) -> bytes:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
        assert response.status == 200, (url, response.status)
        return bytes(response.read())


def _endpoints(slug: str) -> dict[str, str]:
    return {
        "project detail": f"/api/v3/projects/{slug}/?expand=active_versions",
        "projects list-100": "/api/v3/projects/?limit=100",
        "builds list": f"/api/v3/projects/{slug}/builds/",
    }


def _load_all(server: Server, paths: dict[str, str], headers: dict[str, str],
              options: Any) -> dict[str, LoadResult]:
    return {name: measure(server.url + path, options.seconds, headers, options.generator)
            for name, path in paths.items()}


def run(env: BenchEnv, options: Any, figures: set[int]) -> list[dict[str, Any]]:
    """Figure 1 and/or 2 (2 needs 1's small-database measurements, so both run the small phase)."""
    token = env.user_token("bench")
    headers = {"Authorization": f"Token {token}"}
    env.user_token("bulk")  # owns the large database's other projects
    engine = create_engine(env.database_url)
    slugs = seed_projects(engine, user_id(engine, "bench"), "bench", SMALL)
    paths = _endpoints(slugs[0])
    bodies_file = os.path.join(env.root, "baseline-bodies.json")
    server = env.gunicorn("docshelf", "app.wsgi:app", wait=False)
    uncached = env.gunicorn("docshelf-uncached", "app.wsgi:app", {"DOCSHELF_RESPONSE_CACHE_ENABLED": "false"},
                            wait=False)
    baseline = env.gunicorn("baseline", "bench.baseline:create_app()", {"BENCH_BASELINE_BODIES": bodies_file},
                            wait=False) if 1 in figures else None
    env.ready(server)
    bodies = {path: _get(server.url + path, headers) for path in paths.values()}
    with open(bodies_file, "w") as fh:
        json.dump({path: body.decode() for path, body in bodies.items()}, fh)
    results: list[dict[str, Any]] = []
    env.ready(uncached)
    for path, body in bodies.items():  # the cache changes no byte (but the port in the links)
        assert _get(uncached.url + path, headers) == body.replace(server.url.encode(), uncached.url.encode())
    small = _load_all(server, paths, headers, options) if 1 in figures else {}
    small_uncached = _load_all(uncached, paths, headers, options)
    env.stop(server.process)

    if baseline is not None:
        env.ready(baseline)
        for path, body in bodies.items():
            assert _get(baseline.url + path, {}) == body  # same bytes, so the same size on the wire
        base = _load_all(baseline, paths, {}, options)
        env.stop(baseline.process)
        rows = []
        for name in paths:
            rows.append(report.row(f"{name} req/s", small[name].rps, base[name].rps, "req/s", AIMS[name]))
            rows.append(report.row(f"{name} p50", small[name].p50_ms, base[name].p50_ms, "ms"))
            rows.append(report.row(f"{name} p99", small[name].p99_ms, base[name].p99_ms, "ms"))
        for name in paths:
            rows.append(report.row(f"{name} req/s, cache off", small_uncached[name].rps, base[name].rps,
                                   "req/s", AIMS_UNCACHED[name]))
        results.append(report.figure(
            1, "API vs bare Flask (same JSON bytes)", rows,
            generator=generator_name(options.generator), seconds=options.seconds,
            body_bytes={name: len(bodies[path]) for name, path in paths.items()},
            docshelf={k: v.as_dict() for k, v in small.items()},
            docshelf_cache_off={k: v.as_dict() for k, v in small_uncached.items()},
            baseline={k: v.as_dict() for k, v in base.items()},
            errors=sum(r.errors for r in [*small.values(), *small_uncached.values(), *base.values()]),
            note=f"gunicorn, 2 sync workers each; {generator_name(options.generator)} with 4 connections; "
                 f"a user maintaining {SMALL} projects ({VERSIONS} versions, {BUILDS} builds each); ratio of "
                 "req/s is Docshelf/baseline (higher is better), of latencies Docshelf/baseline. Docshelf "
                 "as configured by default (response cache on: repeated reads until the next write); "
                 "'cache off' rows: every read computed (DOCSHELF_RESPONSE_CACHE_ENABLED=false).",
        ))

    if 2 in figures:
        owner = user_id(engine, "bulk")
        seeding = time.monotonic()
        seed_projects(engine, owner, "bulk", LARGE_PROJECTS - SMALL, start=SMALL)
        seed_seconds = round(time.monotonic() - seeding, 1)
        if engine.dialect.name == "postgresql":  # what autovacuum would have done by now on a real server
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        with engine.connect() as conn:
            counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}"))  # noqa: S608 - fixed names
                      for t in ("projects", "versions", "builds")}
        for path, body in bodies.items():
            assert len(_get(uncached.url + path, headers)) == len(body), path  # the same page as before
        large = _load_all(uncached, paths, headers, options)
        rows = []
        for name in paths:
            rows.append(report.row(f"{name} p50 large/small", large[name].p50_ms, small_uncached[name].p50_ms,
                                   "ms", "<= 1.5"))
            rows.append(report.row(f"{name} p99 large/small", large[name].p99_ms, small_uncached[name].p99_ms,
                                   "ms"))
        results.append(report.figure(
            2, "Scale: large/small database latency", rows, rows_in_large_database=counts,
            seed_seconds=seed_seconds,
            small={k: v.as_dict() for k, v in small_uncached.items()},
            large={k: v.as_dict() for k, v in large.items()},
            errors=sum(r.errors for r in [*small_uncached.values(), *large.values()]),
            note=f"small: {SMALL} projects; large: {counts['projects']:,} projects, {counts['versions']:,} "
                 f"versions, {counts['builds']:,} builds (seeded in {seed_seconds} s); same server with the "
                 "response cache off (every read runs its queries), same responses.",
        ))
    env.stop(uncached.process)
    engine.dispose()
    return results
