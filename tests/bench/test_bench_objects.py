"""``python -m bench --only 10`` in a tiny configuration: the object storage figure runs end to end.

Real processes (moto's S3 server, two Docshelf gunicorns differing only in DOCSHELF_STORAGE_URL, the
bundled load generator); no timing is asserted, only that every request was answered and the rows.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from bench.__main__ import parse_args, run
from tests.bench.test_bench_smoke import bench_services  # noqa: F401 - the fixture


def test_object_storage_figure(bench_services: None, tmp_path: Path) -> None:  # noqa: F811
    output = tmp_path / "latest.json"
    args = parse_args(["--only", "10", "--seconds", "0.5", "--runs", "1", "--generator", "python",
                       "--output", str(output)])
    run(args, Console(file=io.StringIO()))
    [figure] = json.loads(output.read_text())["figures"]
    assert figure["figure"] == 10 and figure["details"]["errors"] == 0
    assert [row["name"] for row in figure["rows"]] == [
        "docs page 200 from S3 req/s", "docs page 200 from S3 p50", "docs page 304 from S3 req/s",
        "docs page 304 from S3 p50", "publish 500 pages to S3"]
    for row in figure["rows"]:
        assert row["measured"] > 0 and row["baseline"] > 0
    assert set(figure["details"]["results"]) == {"local 200", "local 304", "s3 200", "s3 304"}
    assert all(result["requests"] > 0 for result in figure["details"]["results"].values())
