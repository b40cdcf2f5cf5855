"""``python -m bench --only 5`` in a tiny configuration: the docs-serving figure serves real pages.

Real processes (gunicorn for Docshelf and for the bare ``send_file`` baseline, the bundled load
generator). The docs are requested on Docshelf's docs origin (a Host header naming ``DOCSHELF_DOCS_URL``):
on the app's origin they are never served, and a figure measuring that answer would measure a 404.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from bench.__main__ import parse_args, run
from tests.bench.test_bench_smoke import bench_services  # noqa: F401 - the fixture


def test_docs_serving_figure(bench_services: None, tmp_path: Path) -> None:  # noqa: F811
    output = tmp_path / "latest.json"
    args = parse_args(["--only", "5", "--seconds", "0.5", "--generator", "python", "--output", str(output)])
    run(args, Console(file=io.StringIO()))
    [figure] = json.loads(output.read_text())["figures"]
    assert figure["figure"] == 5 and figure["details"]["errors"] == 0
    assert [row["name"] for row in figure["rows"]] == [
        "docs page 200 req/s", "docs page 200 p50", "docs page 304 req/s", "docs page 304 p50"]
    for row in figure["rows"]:
        assert row["measured"] > 0 and row["baseline"] > 0
    assert all(result["requests"] > 0 for result in figure["details"]["results"].values())
