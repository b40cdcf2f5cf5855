"""Rows of the result table, the rich table itself, and ``bench/results/latest.json``.

A row is one ratio: what Docshelf measured, the baseline measured in the same run, the ratio of the two,
the aim (``>= 0.5``, ``<= 1.5`` or none) and whether the ratio meets it. Nothing here is hard-coded but
the aims, which are the issue's.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def row(name: str, measured: float, baseline: float, unit: str, aim: str | None = None) -> dict[str, Any]:
    """``aim`` is ``">= x"`` or ``"<= x"`` on the ratio ``measured / baseline``."""
    ratio = measured / baseline if baseline else float("inf")
    verdict = "-"
    if aim:
        op, bound = aim.split()
        met = ratio >= float(bound) if op == ">=" else ratio <= float(bound)
        verdict = "met" if met else "MISSED"
    return {"name": name, "measured": measured, "baseline": baseline, "unit": unit,
            "ratio": round(ratio, 3), "aim": aim, "verdict": verdict}


def value_row(name: str, value: float, unit: str, aim: str | None = None) -> dict[str, Any]:
    """A value without a baseline, with an optional aim on the value itself (``= 0``, ``<= x``)."""
    verdict = "-"
    if aim:
        op, bound = aim.split()
        met = {"=": value == float(bound), "<=": value <= float(bound), ">=": value >= float(bound)}[op]
        verdict = "met" if met else "MISSED"
    return {"name": name, "measured": value, "baseline": None, "unit": unit, "ratio": None, "aim": aim,
            "verdict": verdict}


def count_row(name: str, value: int, must_be: int = 0) -> dict[str, Any]:
    """A count that must have one value (builds lost must be 0)."""
    return value_row(name, value, "count", f"= {must_be}")


def figure(number: int, title: str, rows: list[dict[str, Any]], **details: Any) -> dict[str, Any]:
    return {"figure": number, "title": title, "rows": rows, "details": details}


def _fmt(value: float, unit: str) -> str:
    if unit in ("count", "builds", "jobs"):
        return f"{value:,.0f} {unit}"
    if unit == "MiB":
        return f"{value:,.1f} MiB"
    if unit == "%":
        return f"{value:.2f} %"
    return f"{value:,.3g} {unit}" if value < 100 else f"{value:,.0f} {unit}"


def print_table(results: list[dict[str, Any]], header: str, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=header, show_lines=False)
    for column in ("figure", "measured", "baseline", "ratio", "aim", "verdict"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for result in results:
        for n, r in enumerate(result["rows"]):
            label = f"{result['figure']}. {result['title']}: {r['name']}" if n == 0 else f"   {r['name']}"
            style = "red" if r["verdict"] == "MISSED" else None
            baseline = "" if r["baseline"] is None else _fmt(r["baseline"], r["unit"])
            ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
            table.add_row(label, _fmt(r["measured"], r["unit"]), baseline, ratio, r["aim"] or "",
                          r["verdict"], style=style)
        table.add_section()
    console.print(table)
    for result in results:
        note = result["details"].get("note")
        if note:
            console.print(f"[dim]{result['figure']}. {note}[/dim]")


def write_json(results: list[dict[str, Any]], environment: dict[str, Any], path: str | None = None) -> str:
    path = path or os.path.join(RESULTS, "latest.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    document = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "environment": environment,
        "figures": results,
    }
    with open(path, "w") as fh:
        json.dump(document, fh, indent=2)
        fh.write("\n")
    return path
