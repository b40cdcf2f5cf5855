"""/api/v3/projects/<p>/webhooks/: maintainers only, secret shown once and encrypted, SSRF-checked URLs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from app.crypto import decrypt, encrypt
from app.extensions import db
from app.models import Project, Webhook, WebhookDelivery
from tests import factories
from tests.api.helpers import assert_error
from tests.conftest import TEST_DNS
from tests.golden import assert_golden

LIST = "/api/v3/projects/pip/webhooks/"
URL = "https://hooks.example.com/docshelf"
CONTRACT_FIELDS = {"id", "url", "events", "payload", "active", "created", "modified", "_links"}
TEMPLATE = '{"text": "Build {{ build.id }} of {{ project.name }}: {{ event }}", "commit": "{{build.commit}}"}'


def detail(pk: int, slug: str = "pip") -> str:
    return f"/api/v3/projects/{slug}/webhooks/{pk}/"


def make_webhook(project: Any, **values: Any) -> Webhook:
    fields = {"url": URL, "events": ["build:passed"], "secret_encrypted": encrypt("s"), **values}
    webhook = Webhook(project_id=project.id, **fields)
    db.session.add(webhook)
    db.session.commit()
    return webhook


def stored(pk: int) -> Webhook:
    db.session.expire_all()
    return db.session.scalars(select(Webhook).where(Webhook.id == pk)).one()


def with_placeholder_ids(body: Any, webhook_id: int) -> Any:
    """tests/golden.py normalises ids in builds/redirects URLs; do the same for this webhook's URLs."""
    return json.loads(json.dumps(body).replace(f"/webhooks/{webhook_id}/", "/webhooks/<id>/"))


# --- success paths -------------------------------------------------------------------------------------


def test_create_generates_a_secret_shown_once_and_stored_encrypted(client, project, headers):
    sent = {"url": URL, "events": ["build:failed", "build:passed"]}
    response = client.post(LIST, json=sent, headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == CONTRACT_FIELDS | {"secret"}
    assert body["events"] == ["build:passed", "build:failed"]  # Read the Docs' order, whatever was sent
    assert body["active"] is True and body["payload"] is None
    secret = body["secret"]
    assert len(secret) >= 32
    assert response.headers["Location"] == body["_links"]["_self"] == f"http://localhost{detail(body['id'])}"
    row = stored(body["id"])
    assert secret not in row.secret_encrypted and decrypt(row.secret_encrypted) == secret
    # Never again: detail, list, a PATCH response, ?fields=secret.
    later = [
        client.get(detail(body["id"]), headers=headers),
        client.get(detail(body["id"]) + "?fields=secret,url", headers=headers),
        client.get(LIST, headers=headers),
        client.patch(detail(body["id"]), json={"active": False}, headers=headers),
    ]
    assert [r.status_code for r in later] == [200, 200, 200, 200]
    for response in later:
        assert secret not in response.get_data(as_text=True)
        assert "secret" not in json.dumps(response.json)


MY_SECRET = "my-shared-secret-0123456789abcdef"
ROTATED = "rotated-" + "r" * 32


def test_a_given_secret_is_kept_and_not_echoed_by_later_reads(client, project, headers):
    body = client.post(LIST, json={"url": URL, "events": ["build:passed"], "secret": MY_SECRET},
                       headers=headers).json
    assert body["secret"] == MY_SECRET
    assert decrypt(stored(body["id"]).secret_encrypted) == MY_SECRET
    assert "secret" not in client.get(detail(body["id"]), headers=headers).json


def test_detail_matches_golden(client, project, headers):
    created = client.post(
        LIST,
        json={"url": URL, "events": ["build:triggered"], "payload": TEMPLATE, "unknown": 1},
        headers=headers,
    ).json
    response = client.get(detail(created["id"]), headers=headers)
    assert response.status_code == 200
    assert set(response.json) == CONTRACT_FIELDS
    assert_golden("webhook", with_placeholder_ids(response.json, created["id"]))


def test_patch_updates_fields_and_can_rotate_the_secret(client, project, headers):
    webhook = make_webhook(project)
    response = client.patch(
        detail(webhook.id),
        json={"url": "https://other.example.com/x?y=1", "events": ["build:triggered"], "payload": TEMPLATE,
              "active": False, "secret": ROTATED},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["url"] == "https://other.example.com/x?y=1" and body["events"] == ["build:triggered"]
    assert body["payload"] == TEMPLATE and body["active"] is False and "secret" not in body
    assert decrypt(stored(webhook.id).secret_encrypted) == ROTATED
    # An empty payload goes back to the default one; fields left out keep their value.
    cleared = client.patch(detail(webhook.id), json={"payload": ""}, headers=headers).json
    assert cleared["payload"] is None and cleared["events"] == ["build:triggered"]


def test_delete_removes_the_webhook_and_its_deliveries(client, project, headers):
    webhook = make_webhook(project)
    db.session.add(WebhookDelivery(webhook_id=webhook.id, event="build:passed", request_body="{}"))
    db.session.commit()
    response = client.delete(detail(webhook.id), headers=headers)
    assert response.status_code == 204 and response.get_data() == b""
    assert_error(client.get(detail(webhook.id), headers=headers), 404, "not_found", "not_found")
    assert db.session.scalars(select(WebhookDelivery)).all() == []


def test_deleting_the_project_deletes_its_webhooks_and_deliveries(client, project, headers):
    webhook = make_webhook(project)
    db.session.add(WebhookDelivery(webhook_id=webhook.id, event="build:passed", request_body="{}"))
    db.session.commit()
    assert client.delete("/api/v3/projects/pip/", headers=headers).status_code == 204
    db.session.expire_all()
    assert db.session.scalars(select(Webhook)).all() == []
    assert db.session.scalars(select(WebhookDelivery)).all() == []


def test_deliveries_list_newest_first_with_links(client, project, headers):
    webhook = make_webhook(project)
    build = factories.BuildFactory(version=project.versions[0])
    for event in ("build:triggered", "build:passed"):
        db.session.add(WebhookDelivery(webhook_id=webhook.id, build_id=build.id, event=event,
                                       request_body='{"a": 1}'))
    db.session.commit()
    body = client.get(detail(webhook.id) + "deliveries/", headers=headers).json
    assert body["count"] == 2 and body["next"] is None
    newest = body["results"][0]
    assert newest["event"] == "build:passed" and newest["build"] == build.id
    assert newest["state"] == "pending" and newest["attempts"] == 0 and newest["status_code"] is None
    assert newest["request_body"] == '{"a": 1}' and newest["delivered"] is None
    assert newest["_links"] == {
        "webhook": f"http://localhost{detail(webhook.id)}",
        "build": f"http://localhost/api/v3/projects/pip/builds/{build.id}/",
    }
    assert set(newest) == {
        "id", "event", "build", "state", "attempts", "status_code", "error", "request_body",
        "response_body", "created", "last_attempt", "delivered", "_links",
    }


def test_list_pagination(client, project, headers):
    hooks = [make_webhook(project, url=f"{URL}/{i}") for i in range(3)]
    first = client.get(LIST + "?limit=2", headers=headers).json
    assert first["count"] == 3 and [h["id"] for h in first["results"]] == [hooks[0].id, hooks[1].id]
    assert first["next"] == "http://localhost/api/v3/projects/pip/webhooks/?limit=2&offset=2"


# --- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"events": ["build:passed"]}, "url", "Missing data"),
        ({"url": URL}, "events", "Missing data"),
        ({"url": URL, "events": []}, "events", "at least one"),
        ({"url": URL, "events": ["build:started"]}, "events", "Unknown event"),
        ({"url": URL, "events": "build:passed"}, "events", "Not a valid list"),
        ({"url": "ftp://hooks.example.com/", "events": ["build:passed"]}, "url", "http and https"),
        ({"url": "file:///etc/passwd", "events": ["build:passed"]}, "url", "http and https"),
        ({"url": "hooks.example.com/x", "events": ["build:passed"]}, "url", "http and https"),
        ({"url": "https://hooks.example.com:99999/", "events": ["build:passed"]}, "url", "malformed"),
        ({"url": "https://" + "a" * 1100 + ".com/", "events": ["build:passed"]}, "url", "1024"),
        ({"url": URL, "events": ["build:passed"], "payload": "{not json"}, "payload", "valid JSON"),
        # The sample project name has quotes: a placeholder outside a JSON string is caught now.
        ({"url": URL, "events": ["build:passed"], "payload": '{"n": {{ project.name }}}'}, "payload", "JSON"),
        ({"url": URL, "events": ["build:passed"], "secret": ""}, "secret", "between 32 and"),
        ({"url": URL, "events": ["build:passed"], "active": "perhaps"}, "active", "Not a valid boolean"),
    ],
)
def test_create_validation(client, project, headers, body, field, fragment):
    response = client.post(LIST, json=body, headers=headers)
    errors = assert_error(response, 400, "validation_error", "validation")["errors"]
    assert field in errors and any(fragment in message for message in errors[field]), errors
    assert client.get(LIST, headers=headers).json["count"] == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://[::1]/hook",
        "http://0x7f.1/hook",
        "http://internal.example.com/hook",  # resolves to a private address (TEST_DNS below)
    ],
)
def test_private_addresses_are_refused_unless_allowed(app, client, project, headers, monkeypatch, url):
    monkeypatch.setitem(TEST_DNS, "internal.example.com", ["10.1.2.3"])
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOCAL", False)
    response = client.post(LIST, json={"url": url, "events": ["build:passed"]}, headers=headers)
    errors = assert_error(response, 400, "validation_error", "validation")["errors"]
    assert set(errors) == {"url"}
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOCAL", True)
    allowed = client.post(LIST, json={"url": url, "events": ["build:passed"]}, headers=headers)
    assert allowed.status_code == 201


def test_patch_validates_too(client, project, headers):
    webhook = make_webhook(project)
    bad = (({"events": []}, "events"), ({"url": "gopher://x/"}, "url"), ({"payload": "["}, "payload"))
    for body, field in bad:
        response = client.patch(detail(webhook.id), json=body, headers=headers)
        assert set(assert_error(response, 400, "validation_error", "validation")["errors"]) == {field}
    row = stored(webhook.id)
    assert row.url == URL and row.events == ["build:passed"] and row.payload is None


def test_webhooks_per_project_are_capped(client, project, headers):
    for i in range(20):
        make_webhook(project, url=f"{URL}/{i}")
    response = client.post(LIST, json={"url": URL, "events": ["build:passed"]}, headers=headers)
    assert "at most 20" in assert_error(response, 400, "validation_error", "validation")["detail"]


def test_anonymous_gets_401_everywhere(client, project):
    webhook = make_webhook(project)
    for response in (
        client.get(LIST),
        client.get(detail(webhook.id)),
        client.get(detail(webhook.id) + "deliveries/"),
        client.post(LIST, json={"url": URL, "events": ["build:passed"]}),
        client.patch(detail(webhook.id), json={"active": False}),
        client.delete(detail(webhook.id)),
    ):
        assert_error(response, 401, "auth_required", "auth")
        assert response.headers["WWW-Authenticate"]
    assert stored(webhook.id).active is True


def test_non_maintainers_get_403_even_for_reads(client, project, other_headers):
    webhook = make_webhook(project)
    for response in (
        client.get(LIST, headers=other_headers),
        client.get(detail(webhook.id), headers=other_headers),
        client.get(detail(webhook.id) + "deliveries/", headers=other_headers),
        client.post(LIST, json={"url": URL, "events": ["build:passed"]}, headers=other_headers),
        client.patch(detail(webhook.id), json={"active": False}, headers=other_headers),
        client.delete(detail(webhook.id), headers=other_headers),
    ):
        assert_error(response, 403, "permission_denied", "auth")
    assert stored(webhook.id).active is True


def test_private_project_is_404_for_outsiders(client, user, headers, other_headers):
    private = factories.ProjectFactory(slug="secret", privacy_level="private", maintainers=[user])
    webhook = make_webhook(private)
    for response in (
        client.get("/api/v3/projects/secret/webhooks/", headers=other_headers),
        client.get(detail(webhook.id, "secret"), headers=other_headers),
        client.post("/api/v3/projects/secret/webhooks/", json={"url": URL}, headers=other_headers),
    ):
        assert_error(response, 404, "not_found", "not_found")
    assert client.get("/api/v3/projects/secret/webhooks/", headers=headers).json["count"] == 1


def test_another_projects_webhook_is_404(client, project, headers):
    elsewhere = make_webhook(factories.ProjectFactory(slug="other"))
    for response in (
        client.get(detail(elsewhere.id), headers=headers),
        client.get(detail(elsewhere.id) + "deliveries/", headers=headers),
        client.patch(detail(elsewhere.id), json={"active": False}, headers=headers),
        client.delete(detail(elsewhere.id), headers=headers),
        client.get(detail(99999), headers=headers),
    ):
        assert_error(response, 404, "not_found", "not_found")
    assert stored(elsewhere.id).active is True


def test_list_query_counts_do_not_grow_with_items(client, project, headers, count_queries):
    webhook = make_webhook(project)
    db.session.add(WebhookDelivery(webhook_id=webhook.id, event="build:passed", request_body="{}"))
    db.session.commit()
    project_id, webhook_id = project.id, webhook.id
    deliveries = detail(webhook_id) + "deliveries/?limit=100"
    client.get(LIST, headers=headers)  # warm-up: token bookkeeping must not skew the comparison
    with count_queries() as one:
        assert len(client.get(LIST + "?limit=100", headers=headers).json["results"]) == 1
    with count_queries() as one_delivery:
        assert len(client.get(deliveries, headers=headers).json["results"]) == 1
    for i in range(15):
        make_webhook(db.session.get(Project, project_id), url=f"{URL}/{i}")
    db.session.add_all(
        WebhookDelivery(webhook_id=webhook_id, event="build:passed", request_body="{}") for _ in range(60)
    )
    db.session.commit()
    with count_queries() as many:
        assert len(client.get(LIST + "?limit=100", headers=headers).json["results"]) == 16
    with count_queries() as many_deliveries:
        assert len(client.get(deliveries, headers=headers).json["results"]) == 61
    assert many.count == one.count
    assert many_deliveries.count == one_delivery.count
