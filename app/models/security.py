"""Rows behind accounts and protection: read grants, the audit log and device-login requests.

Idempotency records live in Redis (they expire after a day and must be shared by every API
process, which Redis does with one atomic ``SET NX``); everything here is durable state.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.project import Project
    from app.models.user import User


class ProjectReadGrant(db.Model):  # type: ignore[name-defined]
    """Read access to a (private) project for a named user; never write access."""

    __tablename__ = "project_read_grants"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship()
    user: Mapped[User] = relationship()


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """One security-relevant action. Names are copied, not linked, so events outlive what they name."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str | None] = mapped_column(String(150), index=True)
    project: Mapped[str | None] = mapped_column(String(63), index=True)
    target: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(128))
    ip: Mapped[str | None] = mapped_column(String(64))


class DeviceAuthorization(db.Model):  # type: ignore[name-defined]
    """An RFC 8628 device-login request, from ``pending`` to ``approved``/``denied`` to ``consumed``."""

    __tablename__ = "device_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the device code: it is a bearer secret until the token is issued.
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    client_name: Mapped[str] = mapped_column(String(100), default="")
    scopes: Mapped[list[str] | None] = mapped_column(JSON)
    #: Project slugs the tool asked for; resolved against the approving user's projects.
    projects: Mapped[list[str] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    interval: Mapped[int] = mapped_column(Integer, default=5)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(UTCDateTime)
    last_polled: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))

    user: Mapped[User | None] = relationship()
