"""``python -m bench --only 8`` in a tiny configuration: the conditional-poll figure runs end to end.

Real processes (gunicorn for Docshelf and for the bare Flask baseline, the bundled load generator); no
timing is asserted, only that every poll was answered (304s count as answers) and the rows it reports.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from bench.__main__ import parse_args, run
from tests.bench.test_bench_smoke import bench_services  # noqa: F401 - the fixture


def test_conditional_poll_figure(bench_services: None, tmp_path: Path) -> None:  # noqa: F811
    output = tmp_path / "latest.json"
    args = parse_args(["--only", "8", "--seconds", "0.5", "--generator", "python", "--output", str(output)])
    run(args, Console(file=io.StringIO()))
    [figure] = json.loads(output.read_text())["figures"]
    assert figure["figure"] == 8 and figure["details"]["errors"] == 0
    names = [row["name"] for row in figure["rows"]]
    assert names[0] == "build poll 304 req/s" and figure["rows"][0]["aim"] == ">= 0.4"
    for row in figure["rows"]:
        assert row["measured"] > 0 and row["baseline"] > 0
        assert row["ratio"] == pytest.approx(row["measured"] / row["baseline"], rel=1e-2, abs=1e-3)
    assert set(figure["details"]["results"]) == {"build poll", "project poll", "build 200",
                                                 "build poll, rate limits on", "build poll, read cache on",
                                                 "floor"}
