"""``python -m bench [--only 1,2] [--seconds S] [--soak-seconds S] [--builds N]``: run the figures, print the
table and write ``bench/results/latest.json``.

1. API throughput and p50/p99 latency vs. a bare Flask endpoint returning the same bytes.
2. Scale: the same endpoints on a database of 10,000 projects, 50,000 versions, 100,000 builds.
3. Build overhead vs. a bare ``sphinx-build``.
4. Trigger-to-start latency vs. RQ's own enqueue-to-start latency (idle worker).
5. Docs serving vs. a bare ``send_file`` endpoint.
6. Queue throughput: N builds through 2 worker processes vs. N no-op RQ jobs; builds lost must be 0.
7. Soak: mixed traffic for ``--soak-seconds``; error rate and the API workers' memory growth.
8. Conditional poll: an authenticated ``If-None-Match`` poll of a build (304) vs. a bare Flask ``/hello``.
9. Mixed traffic: readers polling while 2 builds run and a write lands every 200 ms vs. the same readers idle.
10. Object storage: a docs page served from S3 vs. from the local directory; publishing 500 pages to each.
11. Server-side search p50/p99 over >= 100,000 sections vs. a primary-key lookup; indexing's share of a build.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console

from bench import report
from bench.harness import BenchEnv, bench_env
from bench.load import generator_name

ALL = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="Comma-separated figure numbers (default: all).")
    parser.add_argument("--seconds", type=float, default=5.0, help="Load duration per measurement.")
    parser.add_argument("--soak-seconds", type=float, default=300.0, help="Duration of figure 7.")
    parser.add_argument("--builds", type=int, default=200, help="Builds (and no-op jobs) in figure 6.")
    parser.add_argument("--samples", type=int, default=20, help="Triggers (and no-op jobs) in figure 4.")
    parser.add_argument("--pages", type=int, default=30, help="Pages of the figure 3 Sphinx project.")
    parser.add_argument("--runs", type=int, default=3, help="Runs of each side in figures 3 and 10.")
    parser.add_argument("--sections", type=int, default=100_000, help="Indexed sections in figure 11.")
    parser.add_argument("--search-rounds", type=int, default=25, help="Rounds of the queries in figure 11.")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto",
                        help="Load generator: wrk when installed (auto), or the bundled Python one.")
    parser.add_argument("--output", default=None, help="JSON path (default: bench/results/latest.json).")
    args = parser.parse_args(argv)
    args.figures = sorted({int(n) for n in args.only.split(",") if n.strip()} or set(ALL))
    if not set(args.figures) <= set(ALL):
        parser.error(f"--only takes figure numbers among {ALL}")
    return args


def run(args: argparse.Namespace, console: Console | None = None) -> dict[str, Any]:
    """Run the selected figures in one environment; return what was written to the JSON file."""
    console = console or Console(stderr=True)
    figures = set(args.figures)
    results: list[dict[str, Any]] = []
    timings: dict[str, float] = {}
    with bench_env() as env:
        steps: list[tuple[str, set[int], Callable[[BenchEnv], list[dict[str, Any]]]]] = []
        if figures & {1, 2}:
            from bench import api

            steps.append(("1-2", figures & {1, 2}, lambda e: api.run(e, args, figures)))
        if 3 in figures:
            from bench import build_overhead

            steps.append(("3", {3}, lambda e: [build_overhead.run(e, args)]))
        if figures & {4, 6}:
            from bench import queues

            steps.append(("4-6", figures & {4, 6}, lambda e: queues.run(e, args, figures)))
        if 5 in figures:
            from bench import serving

            steps.append(("5", {5}, lambda e: [serving.run(e, args)]))
        if 7 in figures:
            from bench import soak

            steps.append(("7", {7}, lambda e: [soak.run(e, args)]))
        if 8 in figures:
            from bench import conditional

            steps.append(("8", {8}, lambda e: [conditional.run(e, args)]))
        if 9 in figures:
            from bench import mixed

            steps.append(("9", {9}, lambda e: [mixed.run(e, args)]))
        if 10 in figures:
            from bench import objects

            steps.append(("10", {10}, lambda e: [objects.run(e, args)]))
        if 11 in figures:
            from bench import search

            steps.append(("11", {11}, lambda e: [search.run(e, args)]))
        for label, _numbers, step in steps:
            console.print(f"[bold]figure {label}[/bold] ...")
            started = time.monotonic()
            results.extend(step(env))
            timings[label] = round(time.monotonic() - started, 1)
        environment = {"backend": env.backend, "generator": generator_name(args.generator),
                       "seconds_per_figure": timings}
    results.sort(key=lambda r: r["figure"])
    path = report.write_json(results, environment, args.output)
    report.print_table(results, f"Docshelf benchmarks ({environment['backend']}, "
                                f"load: {environment['generator']})", Console(width=132))
    console.print(f"results written to {path}")
    return {"figures": results, "environment": environment, "path": path}


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
