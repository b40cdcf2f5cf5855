"""Figure 11: server-side search over >= 100,000 indexed sections, and indexing's share of a build.

The index is filled with ``--sections`` rows of synthetic prose (a Zipf-like vocabulary, so common
words have long posting lists and rare ones short) over 10 projects, through the same insert and
engine preparation the build uses, then queried in-process through the search API's service
(``user:@me`` over all 10 projects: the widest scope a reader asks for) with a mix of common, rare,
two-word, phrase and prefix queries. Baseline: a primary-key lookup of one row of the same table on
the same database. The second row builds a ``--pages`` Sphinx project with Docshelf and compares the
time its search indexing step took (from the build's log) with the whole build's.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import tempfile
import time
from typing import Any

from bench import report
from bench.build_overhead import make_project
from bench.harness import BenchEnv

PROJECTS = 10
WORDS_PER_SECTION = 60
QUERIES = ("lorem", "w17", "w4242", "w17 w99", '"lorem ipsum"', "w12*", "ipsum -w5", "nothingmatches")


def _vocabulary() -> tuple[list[str], list[float]]:
    words = ["lorem", "ipsum", "dolor", "widget", "install", "configure"] + [f"w{n}" for n in range(20_000)]
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    return words, weights


def seed(env: BenchEnv, sections: int) -> tuple[Any, list[int], int]:
    """Fill the index; returns the owner, the row ids and the seconds it took."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import Project, SearchSection, User, Version
    from app.services.search import engine

    rng = random.Random(18)
    words, weights = _vocabulary()
    started = time.perf_counter()
    owner = User(username="search-bench", email="search-bench@example.com", role="user")
    db.session.add(owner)
    versions = []
    for n in range(PROJECTS):
        project = Project(
            name=f"Search bench {n}",
            slug=f"search-bench-{n}",
            repository_url="/nonexistent",
            default_branch="main",
            tags=[],
        )
        project.users.append(owner)
        version = Version(
            slug="latest",
            verbose_name="latest",
            identifier="main",
            active=True,
            built=True,
            machine=True,
            built_formats=[],
        )
        project.versions = [version]
        db.session.add(project)
        versions.append(version)
    db.session.commit()
    per_version = sections // PROJECTS
    for version in versions:
        for start in range(0, per_version, 2000):
            rows = []
            for i in range(start, min(start + 2000, per_version)):
                text = " ".join(rng.choices(words, weights, k=WORDS_PER_SECTION))
                rows.append(
                    {
                        "project_id": version.project_id,
                        "version_id": version.id,
                        "path": f"page{i // 8}.html",
                        "page_title": f"Page {i // 8}",
                        "kind": "section",
                        "anchor": f"s{i}",
                        "role": "",
                        "title": " ".join(rng.choices(words, weights, k=3)),
                        "content": text,
                        "rank": 0,
                        "language": "english",
                        "position": i % 8,
                    }
                )
            db.session.execute(insert(SearchSection), rows)
        engine().prepare(version.id)
        db.session.commit()
    ids = list(db.session.scalars(select(SearchSection.id)))
    return owner, ids, int(time.perf_counter() - started)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def query_timings(env: BenchEnv, sections: int, rounds: int) -> dict[str, Any]:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import SearchSection, User
    from app.policy import Principal
    from app.services.search import answer

    app = env.app()
    with app.app_context(), app.test_request_context():
        owner, ids, seed_seconds = seed(env, sections)
        owner_id = owner.id
        rng = random.Random(7)
        searches, lookups, counts = [], [], {}
        for _ in range(rounds):
            for text in QUERIES:
                db.session.expunge_all()  # as a request starts: its caller loaded, nothing else
                user = db.session.get(User, owner_id)
                assert user is not None
                principal = Principal.for_user(user)
                started = time.perf_counter()
                body = answer(principal, f"user:@me {text}", 1, 50, lambda n: "")
                searches.append(time.perf_counter() - started)
                counts[text] = body["count"]
                db.session.expunge_all()
                started = time.perf_counter()
                db.session.execute(
                    select(SearchSection).where(SearchSection.id == rng.choice(ids))
                ).scalar_one()
                lookups.append(time.perf_counter() - started)
        db.session.remove()
        db.engine.dispose()
    return {
        "search": _percentiles(searches),
        "lookup": _percentiles(lookups),
        "counts": counts,
        "seed_seconds": seed_seconds,
        "indexed": len(ids),
    }


def indexing_share(env: BenchEnv, pages: int) -> tuple[float, float]:
    """(seconds the build's indexing step took, seconds of the whole build from its trigger to its end)
    for a ``pages`` project."""
    from rq import SimpleWorker
    from sqlalchemy import select

    from app.extensions import BUILDS_QUEUE, db, get_queue, get_redis
    from app.models import Build, BuildCommand, Project, Version
    from app.services.builds import trigger_build

    repo = make_project(tempfile.mkdtemp(dir=env.root), pages)
    app = env.app()
    with app.app_context():
        project = Project(
            name="Index bench", slug="index-bench", repository_url=repo, default_branch="main", tags=[]
        )
        project.versions = [
            Version(
                slug="latest",
                verbose_name="latest",
                identifier="main",
                active=True,
                machine=True,
                built_formats=[],
            )
        ]
        db.session.add(project)
        db.session.commit()
        build = trigger_build(project, project.versions[0])
        SimpleWorker([get_queue(BUILDS_QUEUE)], connection=get_redis()).work(
            burst=True, logging_level="WARNING"
        )
        db.session.expire_all()
        done = db.session.get(Build, build.id)
        assert done is not None and done.success, done.error if done else "missing build"
        # The build's own clock (created → finished), not the worker's: RQ's teardown of a burst
        # worker's pub/sub thread can add a minute that is no part of the build.
        assert done.finished is not None
        total = (done.finished - done.created).total_seconds()
        notes = db.session.scalars(select(BuildCommand.output).where(BuildCommand.build_id == build.id)).all()
        db.session.remove()
        db.engine.dispose()
    match = next(m for m in (re.search(r"for search in ([0-9.]+) s", n or "") for n in notes) if m)
    assert os.path.isdir(repo)
    return float(match.group(1)), total


def run(env: BenchEnv, options: Any) -> dict[str, Any]:
    found = query_timings(env, options.sections, options.search_rounds)
    indexing, build = indexing_share(env, options.pages)
    (s50, s99), (l50, l99) = found["search"], found["lookup"]
    return report.figure(
        11,
        "Server-side search vs a primary-key lookup; indexing's share of a build",
        [
            report.row(
                f"search p50 ({found['indexed']:,} sections, {PROJECTS} projects)",
                s50 * 1000,
                l50 * 1000,
                "ms",
            ),
            report.row("search p99", s99 * 1000, l99 * 1000, "ms"),
            report.row(
                f"indexing of a {options.pages}-page Sphinx build / whole build",
                indexing,
                build,
                "s",
                "<= 0.1",
            ),
        ],
        sections=found["indexed"],
        queries=list(QUERIES),
        rounds=options.search_rounds,
        hits=found["counts"],
        seed_seconds=found["seed_seconds"],
        indexing_s=round(indexing, 3),
        build_s=round(build, 3),
        note="in-process through the search API's service (user:@me over every project); "
        "baseline: one row by primary key from the same table.",
    )
