"""Object storage for the tests: moto's S3 server on 127.0.0.1 (one per session and xdist worker),
a fresh bucket per test, and the session's app switched to it for the test's duration."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests import s3server

s3_endpoint = s3server.s3_endpoint  # the session's S3 server


@pytest.fixture
def s3_settings(app: Flask, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The app reads and writes a new bucket during the test (``DOCSHELF_STORAGE_URL`` and friends)."""
    settings = s3server.settings(s3_endpoint, s3server.new_bucket(s3_endpoint))
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    return settings


def build_ended() -> None:
    """A committed write, as the end of the build that published always makes: it moves the data
    generation, under which the docs server reuses a version's pointer (app/storage/s3.py)."""
    from sqlalchemy import text

    from app.extensions import db

    db.session.execute(text("UPDATE data_generation SET value = value + 1 WHERE id = 1"))
    db.session.commit()
