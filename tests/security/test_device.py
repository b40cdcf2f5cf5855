"""RFC 8628 device login: start, poll (pending, slow_down, expired, denied), approve in the browser."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, DeviceAuthorization
from app.models.base import utcnow
from app.services.accounts import create_user
from app.services.device import GRANT_TYPE
from tests import factories
from tests.api.helpers import assert_error
from tests.security.test_sessions import PASSWORD, csrf_from, login

START = "/api/v3/device/code/"
TOKEN = "/api/v3/device/token/"


def start(client, **body):
    response = client.post(START, json={"client_name": "docshelf-cli", **body})
    assert response.status_code == 200, response.json
    return response.json


def poll(client, device_code, grant_type=GRANT_TYPE):
    return client.post(TOKEN, json={"device_code": device_code, "grant_type": grant_type})


def rfc_error(response, error):
    body = assert_error(response, 400, error, "auth")
    assert body["error"] == error and body["error_description"]
    return body


def approve(client, user_code, action="approve"):
    page = client.get(f"/device?user_code={user_code.lower().replace('-', ' ')}")
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(
        "/device", data={"user_code": user_code, "action": action, "csrf_token": csrf_from(page)}
    )


def test_whole_flow(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEVICE_POLL_INTERVAL", 0)
    alice = create_user("alice", password=PASSWORD)
    factories.ProjectFactory(name="Pip", maintainers=[alice])
    factories.ProjectFactory(name="Other", maintainers=[alice])
    started = start(client, scopes=["projects:read", "builds:trigger"], projects=["pip"])
    assert set(started) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert started["verification_uri"] == "http://localhost/device"
    assert started["verification_uri_complete"].endswith(f"user_code={started['user_code']}")
    assert 890 <= started["expires_in"] <= 900 and started["interval"] == 0
    rfc_error(poll(client, started["device_code"]), "authorization_pending")

    anonymous = client.get(started["verification_uri_complete"].removeprefix("http://localhost"))
    assert anonymous.status_code == 303 and anonymous.headers["Location"].startswith("/login?next=")
    login(client)
    page = client.get(f"/device?user_code={started['user_code']}")
    assert "docshelf-cli" in page.get_data(as_text=True) and "builds:trigger" in page.get_data(as_text=True)
    done = approve(client, started["user_code"])
    assert done.status_code == 200 and "Device approved" in done.get_data(as_text=True)

    issued = poll(client, started["device_code"])
    assert issued.status_code == 200, issued.json
    body = issued.json
    assert body["token_type"] == "bearer" and body["scope"] == "builds:trigger projects:read"
    assert 30 * 24 * 3600 - 10 <= body["expires_in"] <= 30 * 24 * 3600
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    fresh = client.application.test_client()  # no session: only the token speaks
    assert fresh.get("/api/v3/projects/pip/", headers=headers).status_code == 200
    assert fresh.post("/api/v3/projects/pip/versions/latest/builds/", headers=headers).status_code == 202
    assert_error(fresh.patch("/api/v3/projects/pip/", json={}, headers=headers), 403, "insufficient_scope")
    other = fresh.post("/api/v3/projects/other/versions/latest/builds/", headers=headers)
    assert_error(other, 403, "permission_denied")  # restricted to pip
    rfc_error(poll(client, started["device_code"]), "invalid_grant")  # one token per approval
    assert "device.approved" in db.session.scalars(select(AuditEvent.action)).all()


def test_slow_down_raises_the_interval(client):
    started = start(client)
    rfc_error(poll(client, started["device_code"]), "authorization_pending")
    body = rfc_error(poll(client, started["device_code"]), "slow_down")
    assert body["interval"] == started["interval"] + 5 and body["retryable"] is True


def test_denied_expired_unknown_and_bad_grant_type(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEVICE_POLL_INTERVAL", 0)
    create_user("alice", password=PASSWORD)
    denied = start(client)
    login(client)
    assert "denied" in approve(client, denied["user_code"], action="deny").get_data(as_text=True)
    rfc_error(poll(client, denied["device_code"]), "access_denied")

    expired = start(client)
    request = db.session.scalar(
        select(DeviceAuthorization).where(DeviceAuthorization.user_code == expired["user_code"])
    )
    request.expires = utcnow() - timedelta(seconds=1)
    db.session.commit()
    rfc_error(poll(client, expired["device_code"]), "expired_token")
    assert client.get(f"/device?user_code={expired['user_code']}").status_code == 404

    rfc_error(poll(client, "no-such-code"), "invalid_grant")
    rfc_error(poll(client, expired["device_code"], grant_type="password"), "unsupported_grant_type")


def test_start_validation_and_approval_needs_csrf(client):
    assert_error(client.post(START, json={"scopes": ["root"]}), 400, "validation_error")
    assert_error(client.post(TOKEN, json={}), 400, "validation_error")
    create_user("alice", password=PASSWORD)
    started = start(client)
    login(client)
    refused = client.post("/device", data={"user_code": started["user_code"], "action": "approve"})
    assert refused.status_code == 403
    status = db.session.scalar(
        select(DeviceAuthorization.status).where(DeviceAuthorization.user_code == started["user_code"])
    )
    assert status == "pending"


def test_approving_projects_you_do_not_maintain_fails(client):
    create_user("alice", password=PASSWORD)
    factories.ProjectFactory(name="Theirs")
    started = start(client, projects=["theirs"])
    login(client)
    assert approve(client, started["user_code"]).status_code == 400


def test_rfc_8628_form_encoded_requests_work_too(client, user):
    """Generic OAuth libraries send application/x-www-form-urlencoded, as the RFC says."""
    started = client.post(START, data={"client_name": "oauthlib"})
    assert started.status_code == 200, started.json
    pending = client.post(TOKEN, data={"device_code": started.json["device_code"], "grant_type": GRANT_TYPE})
    assert rfc_error(pending, "authorization_pending")
    other = client.post("/api/v3/projects/", data={"name": "x"}, headers={"Authorization": "Token nope"})
    assert other.status_code == 401  # form bodies stay refused elsewhere (auth is checked first)
