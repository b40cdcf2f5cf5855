"""Fixtures for the fault-tolerance tests: a maintained project and a way to fire requests at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask

from tests import factories


@pytest.fixture
def project(user: Any) -> Any:
    return factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])


@pytest.fixture
def simultaneously(app: Flask) -> Callable[..., list[Any]]:
    """Run each call on its own thread with its own test client, released together by a barrier.

    A thread starts with no app context; each request the test client makes pushes its own, so every
    call gets its own SQLAlchemy session and connection, as concurrent requests to a server would.
    """

    def run(*calls: Callable[[Any], Any]) -> list[Any]:
        barrier = threading.Barrier(len(calls))

        def one(call: Callable[[Any], Any]) -> Any:
            client = app.test_client()
            barrier.wait(timeout=10)
            return call(client)

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return [future.result(timeout=30) for future in [pool.submit(one, call) for call in calls]]

    return run
