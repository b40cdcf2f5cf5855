"""A live Docshelf server on 127.0.0.1 for the command-line client, plus ways to run the client."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from app.cli import main
from tests import factories
from tests.browser import serve

DOCSHELF = os.path.join(os.path.dirname(sys.executable), "docshelf")


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The real WSGI app served over HTTP in a thread, the app origin and (as ``localhost``) the docs
    origin of itself while the test runs (tests/browser.py)."""
    with serve(app, "client-live-server") as url:
        yield url


@pytest.fixture
def user() -> Any:
    return factories.UserFactory(username="carol")


@pytest.fixture
def token(user: Any) -> str:
    return factories.make_token(user)


@pytest.fixture
def client_env(live_url: str, token: str, tmp_path: Path) -> dict[str, str]:
    """Environment for a client run: the live server, the user's token, a private config file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    env.update(
        DOCSHELF_URL=live_url,
        DOCSHELF_TOKEN=token,
        DOCSHELF_CLIENT_CONFIG=str(tmp_path / "client.toml"),
        HOME=str(tmp_path),
    )
    return env


@pytest.fixture
def cli(client_env: dict[str, str]) -> Callable[..., Result]:
    """Run ``docshelf <args>`` in-process with click's runner (stdout and stderr kept apart)."""

    def run(*args: str, **env: str) -> Result:
        full = {**client_env, **env}
        cleared = {k: None for k in os.environ if k.startswith("DOCSHELF_") and k not in full}
        return CliRunner().invoke(main, list(args), env={**cleared, **full}, catch_exceptions=False)

    return run


@pytest.fixture
def spawn(client_env: dict[str, str]) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Run the real console script as a subprocess, for commands that wait on the server."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [DOCSHELF, *args], env=client_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)
