"""The audit log: who did what security-relevant thing, when, from where.

Actions recorded by the services that perform them (tokens, maintainers, grants, device login,
login) call :func:`record`. Environment variables and project deletions are written by modules that
do not know about auditing, so an ORM ``before_flush`` listener records those: the event is written
in the same transaction as the change, so neither exists without the other.

Where an action came from (actor, request id, client address) is an :class:`Origin`: callers pass it,
or the HTTP layer binds the request's (:func:`bind_origin`) for the services and the listener that do
not know about requests. This module never reads the request itself.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

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
    "domain.added",
    "domain.changed",
    "domain.removed",
    "device.approved",
    "device.denied",
    "login.succeeded",
    "login.failed",
    "sessions.ended",
)


@dataclass(frozen=True)
class Origin:
    """Where an action came from, like a log line's fields: who, which request, which client address."""

    actor: str | None = None
    request_id: str | None = None
    ip: str | None = None


#: The origin of the changes made now: each request (thread, task) has its own, bound by the HTTP
#: layer when it begins and cleared when it ends. A context variable rather than the session's
#: ``info``: binding it must not open a database session (a read answered from the cache has none).
_bound: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def bind_origin(origin: Origin | None) -> None:
    """Name where the changes made from now on come from; the HTTP layer does, per request (None: clears)."""
    _bound.set(origin)


def bound_origin() -> Origin:
    """The bound origin; empty for the CLI and jobs, which have none."""
    return _bound.get() or Origin()


def event_for(
    action: str,
    *,
    actor: User | str | None = None,
    project: str | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    origin: Origin | None = None,
) -> AuditEvent:
    """An event; ``origin`` defaults to the session's, and an explicit ``actor`` overrides its actor."""
    origin = origin or bound_origin()
    name = actor.username if isinstance(actor, User) else actor
    return AuditEvent(
        action=action,
        actor=name or origin.actor,
        project=project,
        target=(target or "")[:255] or None,
        details=details or None,
        request_id=origin.request_id,
        ip=origin.ip,
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
    origin = bound_origin()
    for obj in session.new:
        if isinstance(obj, EnvironmentVariable):
            events.append(event_for("envvar.created", project=_slug_of(obj), target=obj.name, origin=origin))
        elif isinstance(obj, Project):
            events.append(event_for("project.created", project=obj.slug, target=obj.slug, origin=origin))
    for obj in session.deleted:
        if isinstance(obj, EnvironmentVariable):
            events.append(event_for("envvar.deleted", project=_slug_of(obj), target=obj.name, origin=origin))
        elif isinstance(obj, Project):
            events.append(event_for("project.deleted", project=obj.slug, target=obj.slug, origin=origin))
    session.add_all(events)


def install_listeners() -> None:
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
