"""Issue 13: webhook secrets of at least 32 characters, and wrong secrets rate limited (429) without
letting an attacker's failures shut out the integration's proven senders.

The findings: an integration secret of one character was accepted, and wrong-secret attempts were never
limited, so a short secret could simply be guessed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from app.crypto import encrypt
from app.extensions import db
from app.models import Integration
from app.services import integrations as service
from tests import factories
from tests.api.helpers import assert_error

SECRET = "s" * 16 + "-webhook-secret-of-41-chars"
ATTACKER, GITHUB, OTHER = "198.51.100.66", "140.82.115.10", "203.0.113.9"


@pytest.fixture
def project(user: Any) -> Any:
    return factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user], default_branch="main")


def make(project: Any, kind: str = "generic_api_incoming") -> Integration:
    return service.create_integration(project, integration_type=kind, secret=SECRET)[0]


def generic(client: Any, row: Integration, token: str | None, ip: str) -> Any:
    body = {"branches": ["nothing-to-build"]} | ({"token": token} if token is not None else {})
    return client.post(f"/api/v2/webhook/pip/{row.id}/", json=body, environ_base={"REMOTE_ADDR": ip})


# --- length ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["x", "a" * 31, " " * 40, "y" * 256])
def test_short_long_or_blank_secrets_are_refused_everywhere(client, project, headers, secret):
    base = "/api/v3/projects/pip/"
    body = {"integration_type": "github_webhook", "secret": secret}
    created = client.post(base + "integrations/", json=body, headers=headers)
    assert "between 32 and 255" in assert_error(created, 400, "validation_error")["errors"]["secret"][0]
    hook = {"url": "https://hooks.example.com/x", "events": ["build:passed"], "secret": secret}
    assert_error(client.post(base + "webhooks/", json=hook, headers=headers), 400, "validation_error")
    row = make(project)
    patched = client.patch(f"{base}integrations/{row.id}/", json={"secret": secret}, headers=headers)
    assert_error(patched, 400, "validation_error")
    assert secret.strip() == "" or secret not in created.get_data(as_text=True)


def test_thirty_two_characters_pass_and_generated_ones_are_longer(client, project, headers):
    ok = client.post("/api/v3/projects/pip/integrations/",
                     json={"integration_type": "github_webhook", "secret": "k" * 32}, headers=headers)
    assert ok.status_code == 201
    generated = client.post("/api/v3/projects/pip/integrations/", json={"integration_type": "gitlab_webhook"},
                            headers=headers).json["secret"]
    hook = client.post("/api/v3/projects/pip/webhooks/", headers=headers,
                       json={"url": "https://hooks.example.com/x", "events": ["build:passed"]}).json["secret"]
    assert len(generated) >= 32 and len(hook) >= 32


def test_a_short_secret_stored_before_the_fix_no_longer_authenticates(client, project):
    row = Integration(project=project, integration_type="generic_api_incoming", secret_encrypted=encrypt("x"))
    db.session.add(row)
    db.session.commit()
    error = assert_error(generic(client, row, "x", OTHER), 403, "weak_secret")
    assert "regenerate" in error["detail"]


# --- failures rate limited -------------------------------------------------------------------------------


def test_wrong_secrets_are_limited_per_address_then_429_even_for_the_right_one(client, project, limits_on):
    limits_on(RATE_LIMIT_WEBHOOK_FAILURES="3/minute")
    row = make(project)
    for _ in range(3):
        assert_error(generic(client, row, "guess-" + "g" * 30, ATTACKER), 403, "permission_denied")
    throttled = generic(client, row, SECRET, ATTACKER)  # not even checked: an answer would be an oracle
    error = assert_error(throttled, 429, "rate_limited", "quota")
    assert error["retryable"] is True and 1 <= int(throttled.headers["Retry-After"]) <= 60
    other = make(project)  # the same address guessing at another integration: same counter
    assert_error(generic(client, other, SECRET, ATTACKER), 429, "rate_limited")


def test_missing_proofs_are_not_counted(client, project, limits_on):
    limits_on(RATE_LIMIT_WEBHOOK_FAILURES="2/minute")
    row = make(project)
    for _ in range(4):
        assert_error(generic(client, row, None, ATTACKER), 401, "auth_required")
    assert generic(client, row, SECRET, ATTACKER).status_code == 200


def test_many_addresses_guessing_at_one_integration_are_limited_too(client, project, limits_on):
    limits_on(RATE_LIMIT_WEBHOOK_FAILURES="3/minute")
    row = make(project)
    for n in range(3):
        assert_error(generic(client, row, "g" * 40, f"198.51.100.{n}"), 403, "permission_denied")
    assert_error(generic(client, row, "g" * 40, "198.51.100.200"), 429, "rate_limited")
    assert_error(generic(client, row, SECRET, OTHER), 429, "rate_limited")  # a new sender waits the window


def test_a_proven_sender_keeps_delivering_while_others_guess(client, project, limits_on):
    limits_on(RATE_LIMIT_WEBHOOK_FAILURES="3/minute")
    row = make(project)
    assert generic(client, row, SECRET, GITHUB).status_code == 200  # GitHub delivered once: known sender
    for n in range(5):
        generic(client, row, "g" * 40, f"198.51.100.{n}")
    assert_error(generic(client, row, SECRET, OTHER), 429, "rate_limited")
    assert generic(client, row, SECRET, GITHUB).status_code == 200
    # Failures from a known sender's own address count for that pair only (an attacker's GitHub hook
    # pointed at this URL): that integration is limited for it, other integrations are not.
    for _ in range(3):
        assert_error(generic(client, row, "g" * 40, GITHUB), 403, "permission_denied")
    assert_error(generic(client, row, SECRET, GITHUB), 429, "rate_limited")
    assert generic(client, make(project), SECRET, GITHUB).status_code == 200


def test_github_signatures_are_counted_the_same_way(client, project, limits_on):
    limits_on(RATE_LIMIT_WEBHOOK_FAILURES="2/minute")
    row = make(project, "github_webhook")
    body = json.dumps({"zen": "hi"}).encode()

    def ping(secret: str) -> Any:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return client.post(f"/api/v2/webhook/github/pip/{row.id}/", data=body,
                           content_type="application/json",
                           headers={"X-GitHub-Event": "ping", "X-Hub-Signature-256": signature},
                           environ_base={"REMOTE_ADDR": ATTACKER})

    assert [ping("w" * 40).status_code for _ in range(2)] == [403, 403]
    assert_error(ping(SECRET), 429, "rate_limited")
