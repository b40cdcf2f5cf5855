"""Idempotency-Key on POSTs: replays, reuse with another body, failures not stored, concurrent duplicates."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from app.extensions import db, get_redis
from app.models import Build, Project
from app.services import projects as project_service
from tests import factories
from tests.api.helpers import assert_error, token_headers

NEW = {"name": "New", "repository": {"url": "https://github.com/example/new"}}


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)))


def test_same_key_same_body_replays_the_first_response(client, headers):
    keyed = dict(headers, **{"Idempotency-Key": "create-new-1"})
    first = client.post("/api/v3/projects/", json=NEW, headers=keyed)
    again = client.post("/api/v3/projects/", json=NEW, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert count(Project) == 1
    (key,) = get_redis().keys("docshelf:idempotency:*")
    assert 0 < get_redis().ttl(key) <= 24 * 3600


def test_same_key_other_body_is_422(client, headers):
    keyed = dict(headers, **{"Idempotency-Key": "k"})
    assert client.post("/api/v3/projects/", json=NEW, headers=keyed).status_code == 201
    other = client.post("/api/v3/projects/", json=dict(NEW, name="Other"), headers=keyed)
    assert_error(other, 422, "idempotency_key_reused")
    assert count(Project) == 1


def test_keys_belong_to_their_caller(client, headers):
    assert (
        client.post(
            "/api/v3/projects/", json=NEW, headers=dict(headers, **{"Idempotency-Key": "k"})
        ).status_code
        == 201
    )
    bob = dict(token_headers(factories.UserFactory()), **{"Idempotency-Key": "k"})
    response = client.post("/api/v3/projects/", json=dict(NEW, name="Bobs"), headers=bob)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers


def test_failures_are_not_stored(client, headers):
    keyed = dict(headers, **{"Idempotency-Key": "k"})
    assert_error(client.post("/api/v3/projects/", json={"name": "x"}, headers=keyed), 400, "validation_error")
    assert client.post("/api/v3/projects/", json=NEW, headers=keyed).status_code == 201


def test_invalid_keys(client, headers):
    for key in ("", "x" * 256, "tab\there", "ünïcode"):
        keyed = dict(headers, **{"Idempotency-Key": key})
        assert_error(
            client.post("/api/v3/projects/", json=NEW, headers=keyed), 400, "invalid_idempotency_key"
        )
    assert count(Project) == 0


def test_build_trigger_and_anonymous_device_start_are_idempotent_too(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    keyed = dict(headers, **{"Idempotency-Key": "build-1"})
    first = client.post("/api/v3/projects/pip/versions/latest/builds/", headers=keyed)
    second = client.post("/api/v3/projects/pip/versions/latest/builds/", headers=keyed)
    assert first.status_code == second.status_code == 202 and first.json == second.json
    assert count(Build) == 1
    device = {"Idempotency-Key": "device-1"}
    codes = [
        client.post("/api/v3/device/code/", json={}, headers=device).json["device_code"] for _ in range(2)
    ]
    assert codes[0] == codes[1]


def test_concurrent_duplicates_create_one_object(app, client, headers, monkeypatch):
    original = project_service.create_project

    def slow_create(user, data):
        time.sleep(0.3)
        return original(user, data)

    monkeypatch.setattr(project_service, "create_project", slow_create)
    keyed = dict(headers, **{"Idempotency-Key": "race"})
    results: list = []

    def post() -> None:
        with app.test_client() as c:
            response = c.post("/api/v3/projects/", json=NEW, headers=keyed)
            results.append((response.status_code, response.headers.get("Idempotent-Replayed"), response.json))

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r[0] for r in results) == [201, 201, 201]
    assert sorted(str(r[1]) for r in results) == ["None", "true", "true"]
    assert len({r[2]["id"] for r in results}) == 1
    assert count(Project) == 1
