"""The API's read cache: a repeated read costs one primary-key query, and no write, caller or outage ever
makes one wrong."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from redis import Redis
from sqlalchemy import update

from app import create_app
from app.api import response_cache
from app.api.response_cache import Entry, ResponseCache
from app.extensions import db
from app.models import ApiToken, Project
from app.models.base import utcnow
from app.services.tokens import create_token
from bench.harness import free_port
from tests import factories
from tests.api.helpers import assert_error, token_headers

DETAIL = "/api/v3/projects/pip/?expand=active_versions"


def test_a_repeated_read_costs_only_the_generation_and_is_byte_for_byte(client, project, headers,
                                                                        count_queries):
    first = client.get(DETAIL, headers=headers)
    with count_queries() as counter:
        again = client.get(DETAIL, headers=headers)
    assert len(counter.statements) == 1 and "FROM data_generation" in counter.statements[0]
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert again.headers["Content-Type"] == first.headers["Content-Type"] == "application/json"
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]  # per-exchange headers are fresh
    with count_queries() as counter:  # another query string is another answer
        assert client.get("/api/v3/projects/pip/", headers=headers).status_code == 200
    assert counter.count > 0


def test_any_write_is_seen_by_the_next_read(app, client, project, headers):
    assert client.get(DETAIL, headers=headers).json["name"] == "Pip"
    assert client.patch("/api/v3/projects/pip/", json={"name": "Pip 2"}, headers=headers).status_code == 204
    assert client.get(DETAIL, headers=headers).json["name"] == "Pip 2"
    # A Core statement on a connection of its own, as a worker or a CLI command might send.
    with db.engine.begin() as conn:
        conn.execute(update(Project).where(Project.slug == "pip").values(name="Pip 3"))
    db.session.expire_all()  # the test's session outlives requests; a served request starts afresh
    assert client.get(DETAIL, headers=headers).json["name"] == "Pip 3"


def test_a_write_in_another_process_is_seen_at_once(app, client, project, headers):
    """Another app object has its own memory, like another gunicorn worker; the database's generation
    is what they share. Each round warms this process's cache, writes through the other, and reads
    here at once: never the old answer (the generation moved in the writer's own commit)."""
    other = create_app(DATA_DIR=app.config["DATA_DIR"], DATABASE_URL=app.config["DATABASE_URL"],
                       REDIS_URL=app.config["REDIS_URL"], SECRET_KEY="test-secret-key",
                       RATE_LIMITS_ENABLED=False)
    other_client = other.test_client()
    for n in range(20):
        assert client.get(DETAIL, headers=headers).json["name"] == ("Pip" if n == 0 else f"Renamed {n - 1}")
        assert client.get(DETAIL, headers=headers).status_code == 200  # now answered from memory
        with other.app_context():
            assert other_client.patch("/api/v3/projects/pip/", json={"name": f"Renamed {n}"},
                                      headers=headers).status_code == 204
            db.session.remove()
        db.session.expire_all()  # the test's session outlives requests; a served request starts afresh
        assert client.get(DETAIL, headers=headers).json["name"] == f"Renamed {n}", n


def test_answers_are_kept_per_caller(client, user, project, headers, other_headers):
    factories.ProjectFactory(name="Secret", privacy_level="private", maintainers=[user])
    mine = client.get("/api/v3/projects/secret/", headers=headers)
    assert mine.status_code == 200 and mine.json["slug"] == "secret"
    assert_error(client.get("/api/v3/projects/secret/", headers=other_headers), 404, "not_found")
    assert_error(client.get("/api/v3/projects/secret/"), 404, "not_found")
    assert client.get("/api/v3/projects/secret/", headers=headers).json == mine.json
    listed = client.get("/api/v3/projects/", headers=headers).json
    assert {p["slug"] for p in listed["results"]} == {"pip", "secret"}
    assert client.get("/api/v3/projects/", headers=other_headers).json["count"] == 0
    # A project-restricted token of the same user sees less: the key is the token, not the user.
    _token, key = create_token(user, "pip only", project_ids=[project.id])
    restricted = client.get("/api/v3/projects/", headers={"Authorization": f"Token {key}"}).json
    assert [p["slug"] for p in restricted["results"]] == ["pip"]


def test_a_revoked_token_is_refused_at_once(client, user, project):
    _token, key = create_token(user, "t")
    headers = {"Authorization": f"Token {key}"}
    assert client.get(DETAIL, headers=headers).status_code == 200
    assert client.get(DETAIL, headers=headers).status_code == 200  # answered from the cache
    token_id = db.session.scalar(db.select(ApiToken.id).where(ApiToken.name == "t"))
    assert client.delete(f"/api/v3/tokens/{token_id}/", headers=headers).status_code == 204
    assert_error(client.get(DETAIL, headers=headers), 401, "auth_required")


def test_an_expired_token_is_refused_even_with_its_answer_cached(client, user, project, monkeypatch):
    _token, key = create_token(user, "short", expires=utcnow() + timedelta(hours=1))
    headers = {"Authorization": f"Token {key}"}
    assert client.get(DETAIL, headers=headers).status_code == 200
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(response_cache, "utcnow", lambda: later)
    monkeypatch.setattr("app.security.principal.utcnow", lambda: later)
    assert_error(client.get(DETAIL, headers=headers), 401, "auth_required")


def test_hits_keep_last_used_current(client, user, project, headers, monkeypatch):
    assert client.get(DETAIL, headers=headers).status_code == 200
    later = utcnow() + timedelta(minutes=5)
    monkeypatch.setattr(response_cache, "utcnow", lambda: later)
    monkeypatch.setattr("app.security.principal.utcnow", lambda: later)
    assert client.get(DETAIL, headers=headers).status_code == 200
    db.session.expire_all()
    last_used = db.session.scalar(db.select(ApiToken.last_used).where(ApiToken.user_id == user.id))
    assert last_used is not None and abs((last_used.replace(tzinfo=later.tzinfo) - later).total_seconds()) < 1


def test_rate_limits_count_answers_from_the_cache(app, client, user, project):
    app.config.update(RATE_LIMITS_ENABLED=True, RATE_LIMIT_USER="2/hour")
    try:
        headers = token_headers(user)
        assert client.get(DETAIL, headers=headers).status_code == 200
        assert client.get(DETAIL, headers=headers).status_code == 200  # a hit, counted
        assert_error(client.get(DETAIL, headers=headers), 429, "rate_limited", "quota")
    finally:
        app.config.update(RATE_LIMITS_ENABLED=False, RATE_LIMIT_USER="60/minute")


def test_browser_sessions_and_pages_are_not_cached(client, project, headers, count_queries):
    client.get(DETAIL, headers=headers)
    with count_queries() as counter:
        page = client.get(DETAIL, headers={**headers, "Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert counter.count > 0
    client.set_cookie("docshelf_session", "anything")
    with count_queries() as counter:
        assert client.get("/api/v3/projects/pip/").status_code == 200  # public project, any visitor
    assert counter.count > 0


def test_redis_unreachable_changes_nothing_about_freshness(app: Flask, client, project, headers, monkeypatch):
    """The generation lives in the database: a write while Redis is down is seen like any other."""
    assert client.get(DETAIL, headers=headers).json["name"] == "Pip"
    dead = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2)
    monkeypatch.setitem(app.extensions, "docshelf_redis", dead)
    assert client.patch("/api/v3/projects/pip/", json={"name": "Offline"}, headers=headers).status_code == 204
    monkeypatch.undo()
    db.session.expire_all()
    assert client.get(DETAIL, headers=headers).json["name"] == "Offline"


def test_memory_is_bounded_least_recently_used_first():
    cache = ResponseCache(max_bytes=8000)
    cache.align("g1", 0)
    for n in range(10):
        cache.put(("g1", "anonymous", f"/{n}"), Entry(b"x" * 900, ()))
        cache.get(("g1", "anonymous", "/0"))  # kept warm
    assert cache.get(("g1", "anonymous", "/0")) is not None
    assert cache.get(("g1", "anonymous", "/1")) is None  # the oldest cold one went first
    assert len(cache) == 8
    cache.put(("g1", "anonymous", "/huge"), Entry(b"x" * 2000, ()))  # over an eighth: never stored
    assert cache.get(("g1", "anonymous", "/huge")) is None
    cache.align("g2", 0)
    assert len(cache) == 0


def test_the_cache_can_be_switched_off(app, client, project, headers, count_queries):
    app.config["RESPONSE_CACHE_ENABLED"] = False
    try:
        client.get(DETAIL, headers=headers)
        with count_queries() as counter:
            assert client.get(DETAIL, headers=headers).status_code == 200
        assert counter.count > 0
    finally:
        app.config["RESPONSE_CACHE_ENABLED"] = True


def test_a_cached_answer_the_poller_has_is_a_304(client, project, headers, count_queries):
    first = client.get(DETAIL, headers=headers)
    tag = first.headers["ETag"]
    with count_queries() as counter:
        again = client.get(DETAIL, headers={**headers, "If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == tag
    assert len(counter.statements) == 1  # the generation: the hit needs nothing else
    assert client.patch("/api/v3/projects/pip/", json={"name": "Pip 2"}, headers=headers).status_code == 204
    db.session.expire_all()
    changed = client.get(DETAIL, headers={**headers, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.json["name"] == "Pip 2" and changed.headers["ETag"] != tag
