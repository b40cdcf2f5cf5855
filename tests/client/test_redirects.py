"""``redirects apply``: a declarative sync that converges in one run, with a dry-run plan."""

from __future__ import annotations

import json

from tests import factories

START = """
- {type: page, from_url: /old/, to_url: /new/}
- {type: exact, from_url: /gone/$rest, to_url: /here/}
- {type: page, from_url: /drop/, to_url: /kept/}
"""
TARGET = """
redirects:
  - {type: exact, from_url: /gone/$rest, to_url: /there/, http_status: 301}
  - {type: page, from_url: /brand-new/, to_url: /fresh/}
  - {type: page, from_url: /old/, to_url: /new/}
"""


def _state(cli):
    listed = cli("redirects", "list", "pip", "--json")
    assert listed.exit_code == 0, listed.stderr
    return [(r["type"], r["from_url"], r["to_url"], r["http_status"]) for r in json.loads(listed.stdout)]


def test_apply_converges_in_one_run(cli, user, tmp_path):
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    start, target = tmp_path / "start.yml", tmp_path / "target.yml"
    start.write_text(START)
    target.write_text(TARGET)
    assert cli("redirects", "apply", "pip", "-f", str(start)).exit_code == 0
    before = _state(cli)
    assert [r[1] for r in before] == ["/old", "/gone/$rest", "/drop"]  # stored without the slash

    dry = cli("redirects", "apply", "pip", "-f", str(target), "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "would delete page /drop" in dry.stdout and "would create page /brand-new" in dry.stdout
    assert _state(cli) == before

    applied = cli("redirects", "apply", "pip", "-f", str(target), "--json")
    assert applied.exit_code == 0, applied.stderr
    assert {s["action"] for s in json.loads(applied.stdout)["steps"]} == {"delete", "create", "update"}
    assert _state(cli) == [
        ("exact", "/gone/$rest", "/there/", 301),
        ("page", "/brand-new", "/fresh/", before[0][3]),
        ("page", "/old", "/new/", before[0][3]),
    ]
    again = cli("redirects", "apply", "pip", "-f", str(target))
    assert again.exit_code == 0 and "Nothing to change." in again.stdout
    assert "/brand-new" in cli("redirects", "list", "pip").stdout


def test_apply_rejects_bad_files_and_reports_api_errors(cli, user, tmp_path):
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    bad = tmp_path / "bad.yml"
    bad.write_text("- {type: page, from: /x/}\n")
    result = cli("redirects", "apply", "pip", "-f", str(bad))
    assert result.exit_code == 1 and "unknown field(s) from" in result.stderr
    invalid = tmp_path / "invalid.yml"
    invalid.write_text("- {type: nonsense, from_url: /x/, to_url: /y/}\n")
    result = cli("redirects", "apply", "pip", "-f", str(invalid))
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
