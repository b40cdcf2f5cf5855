"""Golden JSON: response bodies compared whole, after normalising what differs between runs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).parent / "golden"
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
_ID_IN_URL = re.compile(r"/(builds|redirects|environmentvariables|invitations)/\d+/")


def normalise(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if key in ("id", "pk") and isinstance(value, int):
        return "<id>"
    if isinstance(value, str):
        if _DATETIME.match(value):
            return "<datetime>"
        return _ID_IN_URL.sub(lambda m: f"/{m.group(1)}/<id>/", value)
    return value


def assert_golden(name: str, body: Any) -> None:
    """Compare with tests/golden/<name>.json; the file is the contract, written by hand from it."""
    expected = json.loads((GOLDEN_DIR / f"{name}.json").read_text())
    assert normalise(body) == expected


RTD_DIR = GOLDEN_DIR / "rtd"


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value: ``results[].message.id``; list items share one ``[]`` path."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= key_paths(child, path)
    elif isinstance(value, list):
        for child in value:
            paths |= key_paths(child, f"{prefix}[]")
    return paths


def assert_rtd_shape(name: str, body: Any, not_yet: tuple[str, ...] = ()) -> None:
    """Every key path of Read the Docs' own test response is in Docshelf's answer.

    ``tests/golden/rtd/<name>.json`` keeps the shape (values shortened) of
    readthedocs/api/v3/tests/responses/<name>.json, and ``addons-v1`` of
    readthedocs/proxito/tests/responses/v1.json. ``not_yet`` names key paths (and what is below them)
    that another change adds, so that change's merge removes them from the call.
    """
    reference = json.loads((RTD_DIR / f"{name}.json").read_text())
    wanted = {p for p in key_paths(reference) if not any(p == n or p.startswith(n + ".") for n in not_yet)}
    missing = wanted - key_paths(body)
    assert not missing, f"{name}: Read the Docs answers {sorted(missing)}, Docshelf does not"
