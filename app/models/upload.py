"""Docs built elsewhere: upload sessions and the project's content-addressed files.

An :class:`UploadSession` holds a manifest (path, size, SHA-256 per file) for one version; the
server answers which files it lacks, receives them, and publishes the whole site in one step. A
file is stored once per project under its SHA-256 (:class:`UploadBlob`), so unchanged files are
never sent again. A blob row exists only once its bytes were checked against its hash and size:
the row is what "the server has this file" means.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

UPLOAD_OPEN = "open"
UPLOAD_PUBLISHED = "published"


class UploadSession(db.Model):  # type: ignore[name-defined]
    __tablename__ = "upload_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default=UPLOAD_OPEN)
    #: ``[[path, size, sha256], ...]`` sorted by path, as validated (:mod:`app.services.upload_rules`).
    files: Mapped[list[Any]] = mapped_column(JSON, deferred=True)
    file_count: Mapped[int] = mapped_column(Integer)
    total_bytes: Mapped[int] = mapped_column(BigInteger)
    #: The build that published it (kind ``upload``), once published.
    build_id: Mapped[int | None] = mapped_column(ForeignKey("builds.id", ondelete="SET NULL"))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UploadBlob(db.Model):  # type: ignore[name-defined]
    """A file the project's storage holds under its SHA-256, checked when it arrived."""

    __tablename__ = "upload_blobs"
    __table_args__ = (UniqueConstraint("project_id", "sha256", name="uq_upload_blobs_project_id_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
