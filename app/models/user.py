"""Users and their API tokens (only a hash of each token is stored)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime

ROLES = ("admin", "user", "viewer")


class User(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="user")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(TimestampMixin, db.Model):  # type: ignore[name-defined]
    """A person's token (``user_id`` set) or a build's (``user_id`` None, ``build_id`` set): a build's
    token is a bot that belongs to no person, so nothing it does can act as one."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    #: The first characters of the key, shown in listings so a user can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of the full key: keys are random 256-bit values, so a slow hash adds nothing.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str] | None] = mapped_column(JSON)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Ids of the projects this token may act on; None means every project the user may act on.
    project_ids: Mapped[list[int] | None] = mapped_column(JSON)
    #: Set on the short-lived token a build runs with; such a token dies with its build.
    build_id: Mapped[int | None] = mapped_column(ForeignKey("builds.id", ondelete="CASCADE"), index=True)
    #: The token that created this one through the API: revoking a token revokes what it created.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"), index=True
    )

    user: Mapped[User | None] = relationship(back_populates="tokens")

    def allows_project(self, project_id: int) -> bool:
        return self.project_ids is None or project_id in self.project_ids
