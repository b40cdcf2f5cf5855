"""The database connection dropped between requests: the next request succeeds.

On PostgreSQL the server really kills the app's backends (``pg_terminate_backend`` from a separate
engine) and ``pool_pre_ping`` (app/__init__.py ``_engine_options``) must notice and reconnect. SQLite has
no server to drop the connection, so the pooled DBAPI connections are closed under the pool instead.
"""

from __future__ import annotations

import contextvars
from typing import Any

from sqlalchemy import create_engine, text

from app.extensions import db
from app.models import Project
from tests import factories

PROJECTS = "/api/v3/projects/"


def request(client: Any, method: str, url: str, **kwargs: Any) -> Any:
    """Make a request as a server would: in its own app context, torn down (session removed) after.

    The suite keeps an app context pushed per test, which a test-client request would otherwise share,
    keeping one session and its connection open across requests; a fresh contextvars context has none.
    """
    return contextvars.Context().run(getattr(client, method), url, **kwargs)


_OTHERS = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"


def _drop_connections() -> None:
    if db.engine.dialect.name == "postgresql":
        killer = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
        try:
            with killer.connect() as conn:
                pids = conn.execute(text(f"SELECT pid {_OTHERS}")).scalars().all()
                killed = conn.execute(text(f"SELECT pg_terminate_backend(pid) {_OTHERS}")).scalars().all()
                assert pids and killed and all(killed)
                # Wait until every killed backend has really exited, so the drop happened before the
                # next request rather than racing with it.
                for _ in range(250):
                    alive = conn.execute(
                        text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"), {"pids": pids}
                    ).scalar_one()
                    if not alive:
                        break
                    conn.execute(text("SELECT pg_sleep(0.02)"))
                assert not alive
        finally:
            killer.dispose()
        return
    # SQLite: close every connection the pool holds, behind its back, then drop the pool as a
    # restart would; the next checkout must open a fresh one.
    pool = db.engine.pool
    raw = db.engine.raw_connection()
    raw.driver_connection.close()  # type: ignore[union-attr]
    raw.invalidate()
    db.engine.dispose()
    assert pool is not db.engine.pool


def test_next_request_after_connections_are_dropped_succeeds(app, client, user, headers):
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    assert request(client, "get", "/api/v3/projects/pip/", headers=headers).status_code == 200
    db.session.remove()  # the test's own session gives its connection back, as a request would

    _drop_connections()

    # Another URL than before: an answer from the read cache would not touch the database at all.
    response = request(client, "get", "/api/v3/projects/pip/?expand=active_versions", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["slug"] == "pip"
    # Writes work too, and land in the database.
    created = request(
        client,
        "post",
        PROJECTS,
        json={"name": "Second", "repository": {"url": "https://github.com/x/second"}},
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert sorted(db.session.scalars(db.select(Project.slug))) == ["pip", "second"]


def test_a_request_with_a_connection_killed_between_two_reads_recovers_next_time(app, client, user, headers):
    """Dropping the connections repeatedly, between every request, never surfaces as an error."""
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    db.session.remove()
    for attempt in range(3):
        _drop_connections()
        # A new URL each time: an answer from the read cache would not touch the database at all.
        response = request(client, "get", f"{PROJECTS}?limit={10 + attempt}", headers=headers)
        assert response.status_code == 200, response.json
        assert [p["slug"] for p in response.json["results"]] == ["pip"]
