"""Versions: a project's branches and tags, plus the machine-managed ``latest`` and ``stable``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from app.models.build import Build
    from app.models.project import Project

VERSION_TYPES = ("branch", "tag", "external", "unknown")
DOWNLOAD_FORMATS = ("htmlzip", "pdf", "epub")


class Version(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("project_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(255))
    verbose_name: Mapped[str] = mapped_column(String(255))
    #: What git checks out: a branch name, a tag name, or a commit sha.
    identifier: Mapped[str] = mapped_column(String(255), default="")
    #: For the machine ``stable`` version: the name of the tag/branch it follows.
    ref: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(20), default="branch")
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    built: Mapped[bool] = mapped_column(Boolean, default=False)
    privacy_level: Mapped[str] = mapped_column(String(20), default="public")
    #: True for ``latest``/``stable`` versions that Docshelf maintains itself.
    machine: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Download formats the last successful build produced (subset of DOWNLOAD_FORMATS).
    built_formats: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Denormalised pointer to the newest build, so lists can eager-load it in one query.
    last_build_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # A pull/merge request's version (type ``external``): its web page, the integration whose
    # delivery opened it (the forge, its statuses token), and when it closed (its files go after
    # ``EXTERNAL_RETENTION`` seconds). ``ref`` names the forge's ref to fetch (refs/pull/N/head).
    external_url: Mapped[str | None] = mapped_column(String(1024))
    #: Where commit statuses go: GitHub's ``owner/name`` of the base repository, GitLab's project id.
    external_repo: Mapped[str | None] = mapped_column(String(255))
    external_integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL")
    )
    external_closed: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship(back_populates="versions")
    last_build: Mapped[Build | None] = relationship(
        primaryjoin="foreign(Version.last_build_id) == Build.id", viewonly=True, uselist=False
    )

    @property
    def servable(self) -> bool:
        """Whether the docs server serves it: active and built (hidden versions are served too)."""
        return self.active and self.built

    def __repr__(self) -> str:
        return f"<Version {self.slug}>"


def find_version(project: Project, slug: str) -> Version | None:
    """The one lookup of a project's version by slug, whoever asks and whatever for.

    What a caller may see is a filter on top: the API's reader rule (``services.versions``), the
    docs server's servable rule (:attr:`Version.servable`).
    """
    return db.session.scalar(select(Version).where(Version.project_id == project.id, Version.slug == slug))
