"""A corpus of bad input against every write route: each answered in the error contract, never a 500,
and nothing half-written in the database.

The routes are read from the app's URL map, so a new write route is covered (or this test fails to
fill its path and says so).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.api.views import BINARY, policy_of
from app.extensions import db
from app.models import Notification
from app.services.domains import create_domain
from app.services.integrations import create_integration
from app.services.invitations import invite
from app.services.uploads import create_upload
from app.services.webhooks import create_webhook
from tests import factories
from tests.api.helpers import CONTRACT_KEYS

WRITE_METHODS = ("POST", "PUT", "PATCH")
DIGEST = "a" * 64
FIELDS = (
    "name",
    "value",
    "from_url",
    "to_url",
    "type",
    "username",
    "child",
    "alias",
    "description",
    "device_code",
    "grant_type",
    "client_name",
    "default_branch",
    "homepage",
    "language",
    "url",
    "events",
    "payload",
    "secret",
    "domain",
)


def write_routes(app: Flask) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v3/"):
            routes += [(method, rule.rule) for method in sorted(set(rule.methods or ()) & set(WRITE_METHODS))]
    return sorted(routes)


@pytest.fixture
def world(user) -> dict[str, Any]:
    """One of everything a write route can point at, maintained by the test user."""
    project = factories.ProjectFactory(name="Pip", maintainers=[user])
    build = factories.BuildFactory(version=project.versions[0], state="building")
    redirect = factories.RedirectFactory(project=project)
    notification = Notification(project_id=project.id, build_id=build.id, message_id="build:cancelled")
    db.session.add(notification)
    db.session.commit()
    variable = factories.EnvironmentVariableFactory(project=project)
    integration, _secret = create_integration(project, integration_type="github_webhook")
    webhook = create_webhook(project, {"url": "https://hooks.example.com/x", "events": ["build:passed"]})
    factories.RelationshipFactory(parent=project, child=factories.ProjectFactory(name="Child"), alias="child")
    invitation = invite(project, user, factories.UserFactory(username="invitee").username)
    create_domain(project, {"domain": "docs.pip.example"})
    upload = create_upload(project, project.versions[0], user,
                           [{"path": "index.html", "size": 4, "sha256": DIGEST}])
    return {
        "project_slug": "pip",
        "version_slug": "latest",
        "build_id": build.id,
        "redirect_id": redirect.id,
        "notification_id": notification.id,
        "environmentvariable_id": variable.id,
        "integration_id": integration.id,
        "webhook_id": webhook.id,
        "alias_slug": "child",
        "username": user.username,
        "token_id": 1,
        "invitation_id": invitation.id,
        "domain_name": "docs.pip.example",
        "upload_id": upload.id,
        "sha256": DIGEST,
    }


def endpoint(app: Flask, rule: str) -> str:
    return next(r.endpoint for r in app.url_map.iter_rules() if r.rule == rule)


def fill(rule: str, values: dict[str, Any], **override: Any) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"test_bad_input does not know how to fill <{name}> in {rule}"
        return str(override.get(name, values[name]))

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", sub, rule)


def rows() -> dict[str, int]:
    db.session.expire_all()
    return {
        t.name: db.session.scalar(select(func.count()).select_from(t)) or 0 for t in db.metadata.sorted_tables
    }


def check(response: Any, before: dict[str, int], allowed: tuple[int, ...] = ()) -> None:
    status = response.status_code
    assert status < 500, response.get_data(as_text=True)
    if status in allowed or status < 300:
        return
    body = response.json
    assert body is not None and set(body) >= CONTRACT_KEYS, response.get_data(as_text=True)
    assert body["status"] == status and body["request_id"] == response.headers["X-Request-ID"]
    after = rows()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k] and k != "audit_events"}
    assert not changed, changed


def deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def body_with(value: Any) -> dict[str, Any]:
    body: dict[str, Any] = dict.fromkeys(FIELDS, value)
    body["repository"] = {"url": value}
    body["scopes"] = [value]
    return body


CORPUS: list[tuple[str, Any, str, tuple[int, ...]]] = [
    # (label, raw body or JSON-able, content type, statuses that prove the guard fired)
    ("oversize", b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}', "application/json", (413,)),
    ("text/plain", b"name=x", "text/plain", (415,)),
    ("form", b"name=x", "application/x-www-form-urlencoded", (415,)),
    ("xml", b"<name>x</name>", "application/xml", (415,)),
    ("malformed", b'{"name": ', "application/json", (400,)),
    ("trailing garbage", b'{"name": "x"} x', "application/json", (400,)),
    ("deep nesting", deep(100_000).encode(), "application/json", (400,)),
    ("nesting past the guard", deep(40).encode(), "application/json", (400,)),
    ("top-level list", b"[1, 2]", "application/json", ()),
    ("top-level string", b'"name"', "application/json", ()),
    ("null", b"null", "application/json", ()),
    ("huge strings", json.dumps(body_with("x" * 100_001)).encode(), "application/json", (400, 413)),
    ("long strings", json.dumps(body_with("y" * 5000)).encode(), "application/json", ()),
    ("NUL bytes", json.dumps(body_with("a\u0000b")).encode(), "application/json", (400,)),
    ("lone surrogate", b'{"name": "\\ud800x", "value": "\\udfff"}', "application/json", (400,)),
    ("NUL key", b'{"na\\u0000me": "x"}', "application/json", (400,)),
    (
        "odd unicode",
        json.dumps(body_with("\u202eRTL\u200b\ufeff\U0001f600e\u0301")).encode(),
        "application/json",
        (),
    ),
    ("wrong types", json.dumps(body_with({"$ne": 1})).encode(), "application/json", ()),
    ("numbers", json.dumps(body_with(1e308)).encode(), "application/json", ()),
    ("invalid utf-8", b'{"name": "\xff\xfe"}', "application/json", ()),
]


@pytest.mark.parametrize("label,payload,content_type,expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_against_every_write_route(
    app, client, headers, world, label, payload, content_type, expected
):
    routes = write_routes(app)
    assert len(routes) >= 15
    for method, rule in routes:
        before = rows()
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = client.open(
            fill(rule, world), method=method, data=data, content_type=content_type, headers=headers
        )
        check(response, before)
        if label == "form" and rule.startswith("/api/v3/device/"):
            continue  # RFC 8628 endpoints take form bodies by design (tests/security/test_device.py)
        wanted, policy = expected, policy_of(app.view_functions.get(endpoint(app, rule)), method)
        if policy is not None and BINARY in policy.body_formats and content_type == "application/json":
            wanted = (400, 415)  # raw bytes, never JSON; the input guard may refuse the JSON first
        elif policy is not None and policy.body_limit is not None and label == "oversize":
            wanted = (400,)  # a manifest may be larger; the guard still refuses its 3 MB string
        if wanted:
            assert response.status_code in wanted + (404, 405), (
                method,
                rule,
                response.get_data(as_text=True),
            )


HOSTILE_SLUGS = [
    "..%2f..%2fetc",
    "%00",
    "a" * 300,
    "%3Cscript%3E",
    "%C3%BC",
    "%ff%fe",
    "pip%20",
    "PIP",
    "-",
    "%2e%2e",
]


@pytest.mark.parametrize("slug", HOSTILE_SLUGS)
def test_hostile_slugs_in_every_write_route(app, client, headers, world, slug):
    for method, rule in write_routes(app):
        if "<project_slug>" not in rule:
            continue
        before = rows()
        response = client.open(fill(rule, world, project_slug=slug), method=method, json={}, headers=headers)
        check(response, before)
        assert response.status_code in (400, 404, 405, 308), (method, rule, response.status_code)


@pytest.mark.parametrize("slug", ["%00", "a" * 300, "%ff"])
def test_hostile_slugs_on_reads(client, headers, world, slug):
    paths = (
        f"/api/v3/projects/{slug}/",
        f"/api/v3/projects/pip/versions/{slug}/",
        f"/api/v3/projects/{slug}/builds/",
        "/api/v3/projects/pip/builds/99999999999999999999999/",  # past SQLite's and PostgreSQL's integers
        "/api/v3/projects/pip/redirects/2147483648/",
        f"/api/v3/projects/pip/domains/{slug}/",
    )
    for path in paths:
        response = client.get(path, headers=headers)
        assert response.status_code == 404 and set(response.json) >= CONTRACT_KEYS, path
