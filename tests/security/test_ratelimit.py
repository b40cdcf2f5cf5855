"""Rate limits on Redis: anonymous per IP, per user, build triggers per project, failed logins; 429s."""

from __future__ import annotations

from app import create_app
from app.extensions import get_redis
from tests import factories
from tests.api.helpers import assert_error, token_headers
from tests.security.test_sessions import PASSWORD, login


def assert_throttled(response, limit: int) -> dict:
    body = assert_error(response, 429, "rate_limited", "quota")
    assert body["retryable"] is True and "throttled" in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 3601  # hour windows: no test straddles two
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert response.headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(response.headers["RateLimit-Reset"]) <= 3601  # hour windows: no test straddles two
    return body


def test_anonymous_requests_are_limited_per_ip(client, limits_on):
    limits_on(RATE_LIMIT_ANONYMOUS="3/hour")
    remaining = []
    for _ in range(3):
        response = client.get("/api/v3/")
        assert response.status_code == 200
        remaining.append(response.headers["RateLimit-Remaining"])
        assert "Retry-After" not in response.headers
    assert remaining == ["2", "1", "0"]
    assert response.headers["RateLimit-Policy"] == "3;w=3600"
    assert_throttled(client.get("/api/v3/"), 3)
    other_ip = client.get("/api/v3/", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other_ip.status_code == 200
    assert get_redis().keys("docshelf:ratelimit*")  # the counters live in Redis


def test_the_counters_use_the_apps_own_redis_pool(app):
    """limits' documented storage options, no storage subclass: one pool per process."""
    from app.security.ratelimit import storage

    with app.app_context():
        assert storage().get_connection().connection_pool is get_redis().connection_pool


def test_users_are_limited_per_user_not_per_token(client, limits_on):
    limits_on(RATE_LIMIT_USER="2/hour", RATE_LIMIT_ANONYMOUS="100/hour")
    alice, bob = factories.UserFactory(), factories.UserFactory()
    first, second = token_headers(alice), token_headers(alice)
    assert client.get("/api/v3/projects/", headers=first).status_code == 200
    assert client.get("/api/v3/projects/", headers=second).status_code == 200
    assert_throttled(client.get("/api/v3/projects/", headers=first), 2)
    assert client.get("/api/v3/projects/", headers=token_headers(bob)).status_code == 200
    assert client.get("/api/v3/").status_code == 200  # anonymous has its own budget


def test_limits_hold_across_api_processes(app, client, limits_on):
    limits_on(RATE_LIMIT_ANONYMOUS="2/hour")
    other = create_app(
        DATA_DIR=app.config["DATA_DIR"],
        DATABASE_URL=app.config["DATABASE_URL"],
        REDIS_URL=app.config["REDIS_URL"],
        SECRET_KEY="test-secret-key",
        RATE_LIMIT_ANONYMOUS="2/hour",
        RATE_LIMITS_ENABLED=True,
    )
    assert client.get("/api/v3/").status_code == 200
    assert other.test_client().get("/api/v3/").status_code == 200
    assert_throttled(client.get("/api/v3/"), 2)


def test_build_triggers_are_limited_per_project_and_only_accepted_ones_count(
    client, user, headers, limits_on
):
    limits_on(RATE_LIMIT_BUILD_TRIGGER="2/hour")
    factories.ProjectFactory(name="Pip", maintainers=[user])
    factories.ProjectFactory(name="Other", maintainers=[user])
    stranger = token_headers(factories.UserFactory())
    for _ in range(3):  # refused triggers do not use up the project's budget
        assert (
            client.post("/api/v3/projects/pip/versions/latest/builds/", headers=stranger).status_code == 403
        )
    for _ in range(2):
        assert client.post("/api/v3/projects/pip/versions/latest/builds/", headers=headers).status_code == 202
    assert_throttled(client.post("/api/v3/projects/pip/versions/latest/builds/", headers=headers), 2)
    assert client.post("/api/v3/projects/other/versions/latest/builds/", headers=headers).status_code == 202


def test_failed_logins_are_limited_per_ip(client, limits_on):
    from app.services.accounts import create_user

    limits_on(RATE_LIMIT_LOGIN="2/hour")
    create_user("alice", password=PASSWORD)
    assert login(client, password="wrong password 1").status_code == 401
    assert login(client, password="wrong password 2").status_code == 401
    assert_throttled(login(client, password=PASSWORD), 2)


def test_disabled_limits_send_no_headers(client):
    response = client.get("/api/v3/")
    assert response.status_code == 200 and "RateLimit-Limit" not in response.headers


def test_one_counter_counts_a_request_and_its_window_is_known_without_asking_again(client, limits_on):
    """The window's number is part of the counter's key: a request is one increment of one key, which
    expires after a window, and the reset the headers give is that window's end, the same for every
    request of the window (each counter's windows start at a second of their own)."""
    limits_on(RATE_LIMIT_USER="50/minute")
    headers = token_headers(factories.UserFactory())
    redis = get_redis()
    before = set(redis.keys("docshelf:ratelimit*"))
    first = client.get("/api/v3/projects/", headers=headers)
    assert first.status_code == 200
    counters = set(redis.keys("docshelf:ratelimit*")) - before
    assert len(counters) == 1
    (counter,) = counters
    assert int(redis.get(counter)) == 1
    assert 0 < redis.ttl(counter) <= 60
    assert first.headers["RateLimit-Remaining"] == "49"
    assert 1 <= int(first.headers["RateLimit-Reset"]) <= 60
    second = client.get("/api/v3/projects/", headers=headers)
    if set(redis.keys("docshelf:ratelimit*")) - before == counters:  # still the same window
        assert second.headers["RateLimit-Remaining"] == "48"
        assert abs(int(second.headers["RateLimit-Reset"]) - int(first.headers["RateLimit-Reset"])) <= 1
        assert int(redis.get(counter)) == 2


def test_a_redis_outage_lets_requests_through(app, client, limits_on, monkeypatch):
    """Limits fail open (logged): an unreachable Redis must not lock every caller out."""
    from limits.storage import RedisStorage

    limits_on(RATE_LIMIT_ANONYMOUS="1/hour")
    broken = RedisStorage("redis://127.0.0.1:1", socket_connect_timeout=0.2)  # nothing listens there
    monkeypatch.setitem(app.extensions, "docshelf.ratelimit_storage", broken)
    for _ in range(3):
        response = client.get("/api/v3/")
        assert response.status_code == 200
        assert "RateLimit-Remaining" not in response.headers
