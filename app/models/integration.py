"""Incoming webhooks ("integrations", Read the Docs' name) and the deliveries they received."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.project import Project

#: Read the Docs' names, so exported project settings and API clients keep working.
INTEGRATION_TYPES = ("github_webhook", "gitlab_webhook", "generic_api_incoming")


class Integration(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    integration_type: Mapped[str] = mapped_column(String(32))
    #: Fernet token of the shared secret (see app.crypto): the webhook needs the clear value to
    #: compute HMACs, so it is encrypted rather than hashed; never serialised after creation.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    #: A branch/tag first seen in a delivery becomes an active, built version (else an inactive one).
    build_new_versions: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Fernet token of the forge API token pull-request builds report commit statuses with
    #: (write-only, like the secret); None: no statuses are sent.
    status_token_encrypted: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship()


class IntegrationDelivery(db.Model):  # type: ignore[name-defined]
    """One accepted delivery (authenticated with the secret) and what it did.

    Rejected requests (bad signature or token) are not stored: anyone can send them, and the sender's
    own delivery log already shows the 401/403 it got.
    """

    __tablename__ = "integration_deliveries"
    # The replay guard: two simultaneous redeliveries cannot both insert their row, so only one acts.
    # NULLs are distinct on every backend, so deliveries without an id never collide.
    __table_args__ = (UniqueConstraint("integration_id", "dedup_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    #: The sender's id for the delivery (X-GitHub-Delivery, X-Gitlab-Event-UUID, Idempotency-Key...).
    delivery_id: Mapped[str | None] = mapped_column(String(255))
    #: ``delivery_id`` while the delivery counts as handled; cleared when it failed in a way the
    #: sender should retry (queue down), so the retry is processed instead of replayed.
    dedup_key: Mapped[str | None] = mapped_column(String(255))
    event: Mapped[str] = mapped_column(String(64), default="")
    received: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: HTTP status answered; None while the delivery is being processed.
    status_code: Mapped[int | None] = mapped_column(Integer)
    #: The response body sent back (replays answer with it): builds, created/deactivated versions, detail.
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    integration: Mapped[Integration] = relationship()
