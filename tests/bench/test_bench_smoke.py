"""``python -m bench`` in a tiny configuration: the harness runs end to end and reports what it should.

Real processes throughout (gunicorn, ``docshelf worker``, the bundled load generator); no timing is
asserted, only the structure of the result and that no build is lost.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from bench.__main__ import parse_args, run


@pytest.fixture
def bench_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench follows the suite's backends: PostgreSQL and a Redis server when the suite uses them."""
    for name in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(f"DOCSHELF_{name}", raising=False)
        test_value = os.environ.get(f"DOCSHELF_TEST_{name}")
        if test_value:
            monkeypatch.setenv(f"DOCSHELF_BENCH_{name}", test_value)
        else:
            monkeypatch.delenv(f"DOCSHELF_BENCH_{name}", raising=False)


def test_bench_smoke(bench_services: None, tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    args = parse_args(["--only", "1,6", "--seconds", "0.5", "--generator", "python", "--builds", "3",
                       "--output", str(output)])
    result = run(args, Console(file=io.StringIO()))

    written = json.loads(output.read_text())
    assert written["figures"] == json.loads(json.dumps(result["figures"]))
    assert written["environment"]["generator"] == "python"
    assert [f["figure"] for f in written["figures"]] == [1, 6]
    api, queue = written["figures"]

    endpoints = ("project detail", "projects list-100", "builds list")
    assert [r["name"] for r in api["rows"]] == [
        f"{endpoint} {measure}" for endpoint in endpoints for measure in ("req/s", "p50", "p99")
    ] + [f"{endpoint} req/s, cache off" for endpoint in endpoints]
    for row in api["rows"]:
        assert row["measured"] > 0 and row["baseline"] > 0
        assert row["ratio"] == pytest.approx(row["measured"] / row["baseline"], rel=1e-2, abs=1e-3)
        assert row["verdict"] in ({"met", "MISSED"} if row["aim"] else {"-"})
    assert api["details"]["errors"] == 0
    assert all(size > 100 for size in api["details"]["body_bytes"].values())

    details = queue["details"]
    assert details["builds"] == 3
    assert details["lost"] == 0 and details["not_final"] == [] and details["vanished"] == []
    assert details["succeeded"] == 3  # trivial builds run the whole pipeline and succeed
    lost = next(r for r in queue["rows"] if r["name"] == "builds lost")
    assert lost["measured"] == 0 and lost["verdict"] == "met"
