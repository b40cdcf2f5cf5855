"""Builds and the commands each one ran. The Build row is the truth; RQ only carries the id."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.project import Project
    from app.models.version import Version

#: States in the order a build passes through them.
BUILD_STATES = ("triggered", "cloning", "installing", "building", "uploading", "finished", "cancelled")
FINAL_STATES = ("finished", "cancelled")
RUNNING_STATES = ("cloning", "installing", "building", "uploading")
#: What a Build row records: a build Docshelf ran, or the publishing of docs built elsewhere.
BUILD_KIND = "build"
UPLOAD_KIND = "upload"
STATE_NAMES = {
    "triggered": "Triggered",
    "cloning": "Cloning",
    "installing": "Installing",
    "building": "Building",
    "uploading": "Uploading",
    "finished": "Finished",
    "cancelled": "Cancelled",
}


class Build(db.Model):  # type: ignore[name-defined]
    __tablename__ = "builds"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"), index=True)
    #: Kept even if the version is deleted later, like Read the Docs does.
    version_slug: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20), default="triggered", index=True)
    #: ``build`` (Docshelf built the version from its repository) or ``upload`` (docs built elsewhere and
    #: published through an upload session, :mod:`app.services.uploads`).
    kind: Mapped[str] = mapped_column(String(10), default=BUILD_KIND, server_default=BUILD_KIND)
    success: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    commit: Mapped[str | None] = mapped_column(String(255), index=True)
    #: The pull/merge request this build was for (its version is ``external``; the number is the slug).
    external_url: Mapped[str | None] = mapped_column(String(1024))
    #: What the published site held: ``{"files": {path: {"sha256", "main_content_hash"?}}}`` (HTML pages
    #: also hash their main content, so a preview's file-tree diff ignores navigation and theme changes).
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: What the build could not do as its configuration asked, in order: a configuration key it does not
    #: act on, a nearest Python, an apt package it skipped, an optional format that failed.
    warnings: Mapped[list[str] | None] = mapped_column(JSON)
    #: Who asked for the build (None for webhooks, syncs and deleted users): the per-user build quota.
    triggered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    job_id: Mapped[str | None] = mapped_column(String(64))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    version: Mapped[Version | None] = relationship()
    commands: Mapped[list[BuildCommand]] = relationship(
        back_populates="build",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="BuildCommand.id",
    )

    @property
    def duration(self) -> int | None:
        if self.finished is None:
            return None
        return int(round((self.finished - (self.started or self.created)).total_seconds()))

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class BuildCommand(db.Model):  # type: ignore[name-defined]
    """One step of a build, with its output, so the log is readable while the build runs."""

    __tablename__ = "build_commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"), index=True)
    command: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(255), default="")
    output: Mapped[str] = mapped_column(Text, default="")
    exit_code: Mapped[int | None] = mapped_column(Integer)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime)

    build: Mapped[Build] = relationship(back_populates="commands")


class BuildLogChunk(db.Model):  # type: ignore[name-defined]
    """A piece of a build's log, appended as it happens and never rewritten: the log is their
    concatenation in ``start`` order (byte offsets in UTF-8), so a client can ask for what came after
    the offset it has (``log.txt?offset=N``) and get everything new in one request."""

    __tablename__ = "build_log_chunks"
    __table_args__ = (UniqueConstraint("build_id", "start", name="uq_build_log_chunks_build_id_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"))
    #: The command whose output this is (None for a command's heading and closing line, and for notes):
    #: a running command's output is the concatenation of its chunks.
    command_id: Mapped[int | None] = mapped_column(
        ForeignKey("build_commands.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[int] = mapped_column(BigInteger)  # its byte offset in the log
    size: Mapped[int] = mapped_column(Integer)  # bytes of ``text`` in UTF-8
    text: Mapped[str] = mapped_column(Text)
