"""Project environment variables; the value is only ever stored encrypted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin

if TYPE_CHECKING:
    from app.models.project import Project


class EnvironmentVariable(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "environment_variables"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    #: Fernet token of the value (see app.crypto); never serialised.
    value_encrypted: Mapped[str] = mapped_column(Text)
    #: Length of the clear value, so the per-project total is checked without decrypting.
    value_length: Mapped[int] = mapped_column(default=0)
    public: Mapped[bool] = mapped_column(Boolean, default=False)

    project: Mapped[Project] = relationship()
