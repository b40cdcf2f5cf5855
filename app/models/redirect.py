"""User-defined redirects, kept in a dense ``0..n-1`` position order per project."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin

if TYPE_CHECKING:
    from app.models.project import Project

REDIRECT_TYPES = ("page", "exact", "clean_url_to_html", "html_to_clean_url")
#: The reference's old type names, answered with a 400 naming the new one.
LEGACY_REDIRECT_TYPES = {
    "prefix": "exact",
    "sphinx_html": "clean_url_to_html",
    "sphinx_htmldir": "html_to_clean_url",
}


class Redirect(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "redirects"
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    from_url: Mapped[str] = mapped_column(String(255), default="")
    to_url: Mapped[str] = mapped_column(Text, default="")
    force: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    http_status: Mapped[int] = mapped_column(Integer, default=302)
    position: Mapped[int] = mapped_column(Integer, default=0)

    project: Mapped[Project] = relationship()
