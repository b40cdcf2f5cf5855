"""The README's settings table is the one in app/config.py, so the documentation cannot drift."""

from pathlib import Path

from app.config import settings_table


def test_readme_lists_every_setting():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert settings_table() in readme
    assert "make run" in readme and "make test" in readme
