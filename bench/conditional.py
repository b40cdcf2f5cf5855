"""Figure 8: a conditional poll (``If-None-Match`` → 304) against a bare Flask ``/hello``.

What a CI job or the CLI does while it waits on a build: poll the build with its token, sending the
ETag of the last answer, and get a bodiless 304 until something changed. The 304 is computed for
every request (authentication, the token's scope, the reader rule and the validator's one Core query;
nothing is serialised), so the Docshelf server runs with the read cache off: the cache would answer
from memory with a 200 and measure something else. The baseline is the cheapest answer Flask can
give, ``/hello`` returning five bytes, under the same gunicorn settings. The same poll of a project
with its active versions (three validator queries) and the full 200 of the build are reported beside
it without an aim, and so is a floor: the same poll answered by bare Flask with only the two queries
any implementation needs (the token, the build's state), which bounds what the aim's row can reach on
this stack.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, select

from app.models import Build, Project
from bench import report
from bench.harness import BenchEnv, Server
from bench.load import LoadResult, generator_name, measure
from bench.seed import seed_projects, user_id

AIM = ">= 0.4"


def hello_app() -> Flask:
    """The baseline: bare Flask (``bench.conditional:hello_app()`` under gunicorn)."""
    app = Flask("bench_hello")

    @app.get("/hello")
    def hello() -> str:
        return "Hello"

    return app


def floor_app() -> Flask:
    """What any server on the design card must do for this poll, and nothing else (``bench.conditional:
    floor_app()`` under gunicorn): bare Flask, find the token by its hash and read the build's state
    with two SQLAlchemy Core queries on one pooled connection, answer 304 when the tag matches. No
    scopes, reader rule, project restriction, rate limits, audit origin, request id, origin split or
    error contract: the row is context for the aim's row, not a competitor to it."""
    import hashlib
    import os

    from flask import request
    from sqlalchemy import bindparam
    from werkzeug.wrappers import Response

    from app.crypto import hash_api_key
    from app.models import ApiToken

    engine = create_engine(os.environ["DOCSHELF_DATABASE_URL"])
    token_by_hash = select(ApiToken.id, ApiToken.user_id, ApiToken.revoked, ApiToken.expires).where(
        ApiToken.key_hash == bindparam("key_hash"))
    build_by_id = select(Build.id, Build.state, Build.finished).join(Project).where(
        Project.slug == bindparam("slug"), Build.id == bindparam("build_id"))
    app = Flask("bench_floor")

    @app.get("/api/v3/projects/<slug>/builds/<int:build_id>/")
    def poll(slug: str, build_id: int) -> Response:
        key = request.headers.get("Authorization", "").partition(" ")[2]
        with engine.connect() as conn:
            token = conn.execute(token_by_hash, {"key_hash": hash_api_key(key)}).first()
            if token is None or token.revoked:
                return Response(status=401)
            state = conn.execute(build_by_id, {"slug": slug, "build_id": build_id}).first()
        if state is None:
            return Response(status=404)
        tag = hashlib.blake2b(repr((token.id, tuple(state))).encode(), digest_size=16).hexdigest()
        if request.if_none_match.contains(tag):
            return Response(status=304, headers={"ETag": f'"{tag}"'})
        return Response(b"{}", headers={"ETag": f'"{tag}"', "Content-Type": "application/json"})

    return app


def _etag(url: str, headers: dict[str, str]) -> str:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
        assert response.status == 200, (url, response.status)
        return str(response.headers["ETag"])


def _status(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
            return int(response.status)
    except urllib.error.HTTPError as answer:  # urllib raises on a 304
        return int(answer.code)


def _poll(env: BenchEnv, server: Server, path: str, auth: dict[str, str], options: Any) -> LoadResult:
    """Measure the 304 poll of ``path`` on ``server`` (with the tag it gives), then stop the server."""
    env.ready(server)
    url = server.url + path
    headers = {**auth, "If-None-Match": _etag(url, auth)}
    assert _status(url, headers) == 304, server.name  # what is measured is the 304
    result = measure(url, options.seconds, headers, options.generator)
    env.stop(server.process)
    return result


def run(env: BenchEnv, options: Any) -> dict[str, Any]:
    token = env.user_token("poller")
    auth = {"Authorization": f"Token {token}"}
    engine = create_engine(env.database_url)
    slug = seed_projects(engine, user_id(engine, "poller"), "poll", 1)[0]
    with engine.connect() as conn:
        build_id = conn.scalar(select(Build.id).join(Project).where(Project.slug == slug)
                               .order_by(Build.id.desc()).limit(1))
    engine.dispose()
    uncached = {"DOCSHELF_RESPONSE_CACHE_ENABLED": "false"}
    docshelf = env.gunicorn("docshelf-conditional", "app.wsgi:app", uncached, wait=False)
    baseline = env.gunicorn("baseline-hello", "bench.conditional:hello_app()", wait=False)
    floor = env.gunicorn("floor", "bench.conditional:floor_app()", wait=False)
    env.ready(docshelf)
    paths = {"build poll": f"/api/v3/projects/{slug}/builds/{build_id}/",
             "project poll": f"/api/v3/projects/{slug}/?expand=active_versions"}
    polls = {}
    for name, path in paths.items():
        url = docshelf.url + path
        headers = {**auth, "If-None-Match": _etag(url, auth)}
        assert _status(url, headers) == 304, name  # what is measured is the 304
        polls[name] = (url, headers)
    measured: dict[str, LoadResult] = {name: measure(url, options.seconds, headers, options.generator)
                                       for name, (url, headers) in polls.items()}
    measured["build 200"] = measure(polls["build poll"][0], options.seconds, auth, options.generator)
    env.stop(docshelf.process)
    # The same computed poll with rate limits on, as deployed (a budget no run of the bench reaches, so
    # that every answer is the 304 and the row measures the counting, not refusals).
    limited = env.gunicorn("docshelf-limited", "app.wsgi:app", {
        **uncached, "DOCSHELF_RATE_LIMITS_ENABLED": "true", "DOCSHELF_RATE_LIMIT_USER": "100000000/minute"})
    measured["build poll, rate limits on"] = _poll(env, limited, paths["build poll"], auth, options)
    # The same poll on a server as configured by default: the read cache answers the 304 while nothing
    # changed (an answer checked against the data generation on every request, app/api/response_cache.py).
    default = env.gunicorn("docshelf-default", "app.wsgi:app", wait=False)
    measured["build poll, read cache on"] = _poll(env, default, paths["build poll"], auth, options)
    measured["floor"] = _poll(env, floor, paths["build poll"], auth, options)
    env.ready(baseline)
    hello = measure(baseline.url + "/hello", options.seconds, {}, options.generator)
    env.stop(baseline.process)
    build = measured["build poll"]
    rows = [
        report.row("build poll 304 req/s", build.rps, hello.rps, "req/s", AIM),
        report.row("build poll 304 p50", build.p50_ms, hello.p50_ms, "ms"),
        report.row("build poll 304 p99", build.p99_ms, hello.p99_ms, "ms"),
        report.row("project ?expand=active_versions 304 req/s", measured["project poll"].rps, hello.rps,
                   "req/s"),
        report.row("build 200 (no If-None-Match) req/s", measured["build 200"].rps, hello.rps, "req/s"),
        report.row("build poll 304 req/s, rate limits on (as deployed)",
                   measured["build poll, rate limits on"].rps, hello.rps, "req/s"),
        report.row("build poll 304 req/s, read cache on (default)", measured["build poll, read cache on"].rps,
                   hello.rps, "req/s"),
        report.row("floor: the same 304 from bare Flask + two Core queries", measured["floor"].rps, hello.rps,
                   "req/s"),
    ]
    return report.figure(
        8, "Conditional poll (304) vs bare Flask /hello", rows,
        results={name: result.as_dict() for name, result in measured.items()}, hello=hello.as_dict(),
        errors=sum(r.errors for r in [*measured.values(), hello]),
        note=f"gunicorn, 2 sync workers each; {generator_name(options.generator)} with 4 connections; an "
             "authenticated poll of a finished build with the ETag of its last answer (304, no body), the "
             "read cache off so that every 304 is computed (the aim's row), and rate limits off, as in every "
             "figure; the rate-limits row: the same poll counted against a per-user budget it never "
             "exhausts; the read-cache row: the same poll as configured by default, answered by the read "
             "cache; the floor row: the least any server on the design card does for this poll "
             "(bench.conditional.floor_app: the token and the build's state in two SQLAlchemy Core "
             "queries, nothing else); baseline: Flask's /hello (5 bytes).",
    )
