"""Browser sessions kept on the server, so that ending one (logout, a password change, an admin's
"end all sessions") takes effect at once instead of when the signed cookie would have expired.

The cookie carries a random session key; only its SHA-256 is stored, so the table alone cannot be
replayed as cookies. Ending a session deletes its row.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.user import User


class UserSession(db.Model):  # type: ignore[name-defined]
    """One signed-in browser: exists from login until logout or until something ends it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
