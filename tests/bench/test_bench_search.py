"""Figure 10 in a tiny configuration: the index is seeded, searched and compared; a real build reports
its indexing step. No timing is asserted, only the structure of the result and that searches hit."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from bench.__main__ import parse_args, run
from tests.bench.test_bench_smoke import bench_services  # noqa: F401  (the fixture)


def test_bench_search(bench_services: None, tmp_path: Path) -> None:  # noqa: F811
    args = parse_args(["--only", "11", "--sections", "2000", "--search-rounds", "1", "--pages", "3",
                       "--output", str(tmp_path / "latest.json")])
    (figure,) = run(args, Console(file=io.StringIO()))["figures"]
    assert figure["figure"] == 11 and [r["unit"] for r in figure["rows"]] == ["ms", "ms", "s"]
    assert all(r["measured"] > 0 and r["baseline"] > 0 for r in figure["rows"])
    details = figure["details"]
    assert details["sections"] == 2000
    assert details["hits"]["lorem"] > 0 and details["hits"]["nothingmatches"] == 0
    assert 0 < details["indexing_s"] < details["build_s"]
