"""``python -m bench --only 9`` in a tiny configuration: the mixed-traffic figure runs end to end.

Real processes (gunicorn, two RQ workers running real sandboxed builds); no timing is asserted, only that
every read was answered, no answer was older than the writer's own write, and the rows it reports.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from bench.__main__ import parse_args, run
from tests.bench.test_bench_smoke import bench_services  # noqa: F401 - the fixture


def test_mixed_traffic_figure(bench_services: None, tmp_path: Path) -> None:  # noqa: F811
    output = tmp_path / "latest.json"
    args = parse_args(["--only", "9", "--seconds", "1", "--output", str(output)])
    run(args, Console(file=io.StringIO()))
    [figure] = json.loads(output.read_text())["figures"]
    assert figure["figure"] == 9
    rows = {row["name"]: row for row in figure["rows"]}
    assert rows["answers older than the reader's own write"]["measured"] == 0
    assert rows["failed reads"]["measured"] == 0
    assert rows["reads/s, busy vs idle"]["measured"] > 0 and rows["reads/s, busy vs idle"]["baseline"] > 0
    assert figure["details"]["writes"] > 0
