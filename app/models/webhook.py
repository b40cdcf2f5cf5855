"""Outgoing build webhooks (Read the Docs' "webhook notifications") and the record of each delivery.

The signing secret is only ever stored encrypted (see app.crypto, as for environment variables).
A delivery row is written when an event fires, before anything is sent, so a delivery that could
not even be queued is still visible (``failed``, with the reason) to the maintainer.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.project import Project

#: Read the Docs' event names, in the order a build emits them.
WEBHOOK_EVENTS = ("build:triggered", "build:passed", "build:failed")
DELIVERY_STATES = ("pending", "delivered", "failed")


class Webhook(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "webhooks"
    __allow_unmapped__ = True  # for ``clear_secret`` below, which is deliberately not a column

    #: The secret in clear, set only on the instance a create returns (shown once, never stored).
    clear_secret: str | None = None

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(1024))
    #: A non-empty subset of :data:`WEBHOOK_EVENTS`, kept in that order.
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Optional template with ``{{ variable }}`` placeholders; None sends the default JSON payload.
    payload: Mapped[str | None] = mapped_column(Text)
    #: Fernet token of the HMAC secret (see app.crypto); never serialised after creation.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    project: Mapped[Project] = relationship()


class WebhookDelivery(db.Model):  # type: ignore[name-defined]
    """One event sent (or to be sent) to one webhook, with the outcome of its last attempt."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    #: Kept when the build is deleted later (the delivery history stays readable).
    build_id: Mapped[int | None] = mapped_column(ForeignKey("builds.id", ondelete="SET NULL"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    #: The exact bytes signed and sent (as text), rendered once when the event fired.
    request_body: Mapped[str] = mapped_column(Text, default="")
    #: The first bytes of the last response, for debugging a receiver.
    response_body: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_attempt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered: Mapped[datetime | None] = mapped_column(UTCDateTime)

    webhook: Mapped[Webhook] = relationship()
