"""Audit events take their origin (actor, request id, client address) from the request that caused
them, passed down by the request hook, and nothing after that request carries it."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from app.services import audit
from tests import factories


def _last(action: str) -> AuditEvent:
    stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    event = db.session.scalars(stmt).first()
    assert event is not None, action
    return event


def test_an_event_carries_its_requests_origin_and_only_that_request_does(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    factories.UserFactory(username="bob")
    traced = dict(headers, **{"X-Request-ID": "o-1"})
    response = client.post("/api/v3/projects/pip/grants/", json={"username": "bob"}, headers=traced)
    assert response.status_code == 201, response.json
    added = _last("grant.added")
    assert (added.actor, added.request_id, added.ip, added.target) == ("alice", "o-1", "127.0.0.1", "bob")
    # The same app context outlives the request (as the CLI's does): later changes are nobody's request.
    audit.record("sessions.ended", target="bob", commit=True)
    later = _last("sessions.ended")
    assert (later.actor, later.request_id, later.ip) == (None, None, None)


def test_an_explicit_origin_wins_and_the_listener_uses_the_bound_one(user):
    origin = audit.Origin(actor="cli-admin", request_id="job-7", ip=None)
    explicit = audit.record("login.failed", origin=origin, commit=True)
    assert (explicit.actor, explicit.request_id) == ("cli-admin", "job-7")
    audit.bind_origin(audit.Origin(actor="hook", request_id="r-9", ip="127.0.0.1"))
    try:
        factories.ProjectFactory(name="Listened")  # written by the before_flush listener
    finally:
        audit.bind_origin(None)
    created = _last("project.created")
    assert (created.actor, created.request_id, created.ip) == ("hook", "r-9", "127.0.0.1")
    assert created.target == "listened"
