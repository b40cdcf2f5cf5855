"""Notifications: what Docshelf wants a maintainer to know about a project or one of its builds.

The text is not stored: a row keeps a ``message_id`` and the values to format it with, and the
registry in ``app.services.notifications`` renders it, so wording can improve without a migration
(Read the Docs does the same).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin

if TYPE_CHECKING:
    from app.models.build import Build
    from app.models.project import Project
    from app.models.user import User

NOTIFICATION_STATES = ("unread", "read", "dismissed", "cancelled")


class Notification(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "notifications"
    # Lists are per project (project-level ones have no build) or per build, newest first.
    __table_args__ = (Index("ix_notifications_project_build", "project_id", "build_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: None for a notification about the project itself.
    build_id: Mapped[int | None] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"), index=True)
    #: Set for a notification addressed to one person (an invitation they received): it is attached
    #: to that user, and ``project_id`` only says which project it is about (and goes with it).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(String(64))
    format_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="unread")
    dismissable: Mapped[bool] = mapped_column(Boolean, default=True)
    news: Mapped[bool] = mapped_column(Boolean, default=False)

    project: Mapped[Project] = relationship()
    build: Mapped[Build | None] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def attached_to(self) -> str:
        """Read the Docs' ``attached_to_content_type``: the user, else the build, else the project."""
        if self.user_id is not None:
            return "user"
        return "project" if self.build_id is None else "build"
