"""What every browser test shares: Debian's chromium through Playwright, a live server, loopback only.

``require_browser`` fails loudly on CI (``CI=true``) and skips locally when chromium or Playwright is
missing; ``serve`` runs the real WSGI app over HTTP on 127.0.0.1 in a thread; ``open_page`` launches
chromium with the flags this machine needs and aborts every request that is not for the test server,
so a browser test never leaves the machine. Screenshots go under ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
#: Without the background-networking flags chromium keeps dialling out, which this machine refuses.
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def require_browser() -> Any:
    """Playwright's sync API, or a loud failure on CI / a clear skip locally when Chromium is missing."""
    problem = None
    sync_api: Any = None
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        problem = f"Debian's chromium is not installed ({CHROMIUM} missing; apt-get install -y chromium)"
    try:
        from playwright import sync_api
    except ImportError:
        problem = problem or "the playwright package is not installed (.venv/bin/pip install playwright)"
    if problem:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser test cannot run on CI: {problem}", pytrace=False)
        pytest.skip(problem)
    return sync_api


def docs_origin(server: str) -> str:
    """The live server's docs origin: the same port under another host name (``localhost``)."""
    return server.replace("//127.0.0.1:", "//localhost:")


@contextmanager
def serve(app: Flask, name: str = "live-server") -> Iterator[str]:
    """The real WSGI app over HTTP in a thread (each request gets its own app context); yields its URL.

    It is the app origin at ``127.0.0.1:<port>`` and, as ``make run`` does, the docs origin at
    ``localhost:<port>`` (:func:`docs_origin`) while it runs.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    saved = {key: app.config.get(key) for key in ("PUBLIC_URL", "DOCS_URL")}
    app.config.update(PUBLIC_URL=url, DOCS_URL=docs_origin(url))
    try:
        yield url
    finally:
        app.config.update(saved)
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def open_page(server: str, width: int = 1200, height: int = 900) -> Iterator[Any]:
    """A chromium page that may only talk to ``server`` (the app and the docs origin of it)."""
    sync_api = require_browser()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route("**/*", lambda route: _loopback_only(route, server, docs_origin(server)))
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def _loopback_only(route: Any, *servers: str) -> None:
    if any(route.request.url.startswith(server + "/") for server in servers):
        route.continue_()
    else:
        route.abort()


def allow_host(page: Any, root: str) -> None:
    """Let ``page`` reach one more loopback host (``root``: scheme://host:port), e.g. a preview's."""

    def allow(route: Any) -> None:
        if route.request.url.startswith(root + "/"):
            route.continue_()
        else:
            route.fallback()  # to the loopback-only rule of open_page

    page.route("**/*", allow)


def screenshot(page: Any, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
