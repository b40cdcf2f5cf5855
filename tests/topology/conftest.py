"""The production topology runs on PostgreSQL and a Redis server only (DOCSHELF_HOSTS above 1 refuses
SQLite and the embedded Redis, by design): without DOCSHELF_TEST_DATABASE_URL and
DOCSHELF_TEST_REDIS_URL its tests are deselected, because there is nothing they could run against.
.ci/run's PostgreSQL pass sets DOCSHELF_TEST_TOPOLOGY=required, and then a missing setting stops the
whole run instead of deselecting anything."""

from __future__ import annotations

import os

import pytest

from tests import s3server

s3_endpoint = s3server.s3_endpoint  # the session's S3 server
REASON = ("the topology tests need PostgreSQL and a Redis server (DOCSHELF_TEST_DATABASE_URL, "
          "DOCSHELF_TEST_REDIS_URL); .ci/run runs them in its PostgreSQL pass")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DOCSHELF_TEST_DATABASE_URL") and os.environ.get("DOCSHELF_TEST_REDIS_URL"):
        return
    mine = [item for item in items if item.nodeid.startswith("tests/topology/")]
    if not mine:
        return
    if os.environ.get("DOCSHELF_TEST_TOPOLOGY") == "required":
        raise pytest.UsageError(f"DOCSHELF_TEST_TOPOLOGY=required, but {REASON}: set both.")
    config.hook.pytest_deselected(items=mine)
    items[:] = [item for item in items if item not in mine]
