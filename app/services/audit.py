"""The audit log: who did what security-relevant thing, when, from where.

Actions recorded by the services that perform them (tokens, maintainers, grants, device login,
login) call :func:`record`. Environment variables and project deletions are written by modules that
do not know about auditing, so an ORM ``before_flush`` listener records those: the event is written
in the same transaction as the change, so neither exists without the other.

The request id and client address are read from the request context when there is one: they
describe where the action came from, like a log line's fields, and are absent for CLI and jobs.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import Select, event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import AuditEvent, EnvironmentVariable, Project, User

ACTIONS = (
    "token.created",
    "token.revoked",
    "maintainer.added",
    "maintainer.removed",
    "invitation.sent",
    "invitation.declined",
    "invitation.revoked",
    "grant.added",
    "grant.removed",
    "envvar.created",
    "envvar.deleted",
    "project.created",
    "project.deleted",
    "repository.credentials_set",
    "repository.credentials_removed",
    "device.approved",
    "device.denied",
    "login.succeeded",
    "login.failed",
    "sessions.ended",
)


def _request_meta() -> tuple[str | None, str | None, str | None]:
    """(actor, request id, client address) from the current request, if any."""
    if not has_request_context():
        return None, None, None
    user = g.get("current_user")
    return (user.username if user is not None else None), g.get("request_id"), request.remote_addr


def event_for(
    action: str,
    *,
    actor: User | str | None = None,
    project: str | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    req_actor, request_id, ip = _request_meta()
    name = actor.username if isinstance(actor, User) else actor
    return AuditEvent(
        action=action,
        actor=name or req_actor,
        project=project,
        target=(target or "")[:255] or None,
        details=details or None,
        request_id=request_id,
        ip=ip,
    )


def record(action: str, *, commit: bool = False, **kwargs: Any) -> AuditEvent:
    """Add an event to the current transaction (the caller's commit writes both together)."""
    audit_event = event_for(action, **kwargs)
    db.session.add(audit_event)
    if commit:
        db.session.commit()
    return audit_event


def events_query(filters: dict[str, Any]) -> Select[AuditEvent]:
    stmt = select(AuditEvent)
    for name in ("action", "actor", "project"):
        if filters.get(name):
            stmt = stmt.where(getattr(AuditEvent, name) == filters[name])
    return stmt.order_by(AuditEvent.id.desc())


def _slug_of(variable: EnvironmentVariable) -> str | None:
    project = variable.__dict__.get("project")  # loaded or set: no lazy load inside a flush
    if project is not None:
        return str(project.slug)
    return db.session.scalar(select(Project.slug).where(Project.id == variable.project_id))


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    events: list[AuditEvent] = []
    for obj in session.new:
        if isinstance(obj, EnvironmentVariable):
            events.append(event_for("envvar.created", project=_slug_of(obj), target=obj.name))
        elif isinstance(obj, Project):
            events.append(event_for("project.created", project=obj.slug, target=obj.slug))
    for obj in session.deleted:
        if isinstance(obj, EnvironmentVariable):
            events.append(event_for("envvar.deleted", project=_slug_of(obj), target=obj.name))
        elif isinstance(obj, Project):
            events.append(event_for("project.deleted", project=obj.slug, target=obj.slug))
    session.add_all(events)


def install_listeners() -> None:
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
