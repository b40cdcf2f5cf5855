"""Projects, their maintainers, and subproject relationships."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    false,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin
from app.models.domain import Domain

if TYPE_CHECKING:
    from app.models.user import User
    from app.models.version import Version

project_maintainers = Table(
    "project_maintainers",
    db.metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

PRIVACY_LEVELS = ("public", "private")
#: The scheme whose docs live at the project's root, with no version or language in their URLs.
SINGLE_VERSION = "single_version_without_translations"
VERSIONING_SCHEMES = (
    "multiple_versions_with_translations",
    "multiple_versions_without_translations",
    SINGLE_VERSION,
)


class Project(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(63))
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    language: Mapped[str] = mapped_column(String(20), default="en")
    programming_language: Mapped[str] = mapped_column(String(20), default="words")
    homepage: Mapped[str | None] = mapped_column(String(255))
    repository_url: Mapped[str] = mapped_column(Text)
    repository_type: Mapped[str] = mapped_column(String(10), default="git")
    #: Write-only clone credentials (app.services.repositories): the kind is shown, the secret is a
    #: Fernet token of JSON read only by the worker, so it is not loaded with every project.
    repository_credentials_kind: Mapped[str | None] = mapped_column(String(16))
    repository_credentials_encrypted: Mapped[str | None] = mapped_column(Text, deferred=True)
    default_version: Mapped[str] = mapped_column(String(255), default="latest")
    default_branch: Mapped[str | None] = mapped_column(String(255))
    privacy_level: Mapped[str] = mapped_column(String(20), default="public")
    external_builds_privacy_level: Mapped[str] = mapped_column(String(20), default="public")
    readthedocs_yaml_path: Mapped[str | None] = mapped_column(String(1024))
    versioning_scheme: Mapped[str] = mapped_column(String(64), default=VERSIONING_SCHEMES[0])
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Read the Docs' project settings for the addons: a Google Analytics id added to the docs pages
    #: (None: none), and whether the docs may send analytics at all.
    analytics_code: Mapped[str | None] = mapped_column(String(50))
    analytics_disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Whether pull/merge requests get preview builds (off by default, as on Read the Docs).
    external_builds_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The maintainers' choices for the docs pages' addons (``app.services.addons_settings``); None or
    #: a missing key: the default.
    addons_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    build_timeout: Mapped[int | None] = mapped_column(Integer)
    max_concurrent_builds: Mapped[int | None] = mapped_column(Integer)
    main_language_project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    if TYPE_CHECKING:
        #: The root URL of the project's canonical custom domain (``https://docs.example.com``), or
        #: None: mapped below the class (:data:`_CANONICAL_URL`).
        canonical_url: Mapped[str | None]

    users: Mapped[list[User]] = relationship(secondary=project_maintainers, order_by="User.username")
    versions: Mapped[list[Version]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True, order_by="Version.id"
    )
    main_language_project: Mapped[Project | None] = relationship(remote_side=[id])
    superproject_relation: Mapped[ProjectRelationship | None] = relationship(
        foreign_keys="ProjectRelationship.child_id",
        back_populates="child",
        uselist=False,
        passive_deletes=True,
    )

    @property
    def single_version(self) -> bool:
        return self.versioning_scheme == SINGLE_VERSION

    def is_maintainer(self, user: User | None) -> bool:
        return user is not None and any(u.id == user.id for u in self.users)

    def __repr__(self) -> str:
        return f"<Project {self.slug}>"


#: Read in the project's own SELECT (a correlated subquery), so the docs URLs every representation
#: carries cost no query per project (:mod:`app.urls` builds them from it). Mapped after the class so
#: that it comes last in the SELECT, after the table's own columns.
_CANONICAL_URL = column_property(
    select(case((Domain.https, "https://"), else_="http://").concat(Domain.domain))
    .where(Domain.project_id == Project.id, Domain.canonical.is_(True))
    .correlate_except(Domain)
    .scalar_subquery()
)
Project.canonical_url = _CANONICAL_URL


class ProjectRelationship(TimestampMixin, db.Model):  # type: ignore[name-defined]
    """A subproject link. A child has at most one parent, and aliases are unique per parent."""

    __tablename__ = "project_relationships"
    __table_args__ = (UniqueConstraint("parent_id", "alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    alias: Mapped[str] = mapped_column(String(255))

    parent: Mapped[Project] = relationship(foreign_keys=[parent_id])
    child: Mapped[Project] = relationship(foreign_keys=[child_id], back_populates="superproject_relation")
