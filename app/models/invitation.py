"""Invitations to maintain a project: nobody becomes a maintainer without saying yes.

Adding a maintainer used to append the user at once, so a user could make an administrator a
maintainer of their own project (the project's builds then ran with the administrator's
credentials), or fill another user's project quota and project list. Now a maintainer creates an
invitation and only the invitee turns it into maintainership, by accepting it before it expires.

Answered rows are kept (``accepted``, ``declined``): accepting twice is then harmless, and the
project's maintainers can see what became of an invitation. A withdrawn invitation is deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from app.models.project import Project
    from app.models.user import User

#: Stored states; ``expired`` is derived (a pending row past ``expires``), never stored, so an
#: invitation stops working at its deadline without a job having to run.
INVITATION_STATES = ("pending", "accepted", "declined")
SHOWN_STATES = (*INVITATION_STATES, "expired")


class Invitation(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "invitations"
    # The invitee's inbox (``GET /api/v3/invitations/``) filters on these two.
    __table_args__ = (Index("ix_invitations_invitee_state", "invitee_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    invitee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: None once the inviting account is deleted: the invitation came from the project, not the person.
    inviter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    expires: Mapped[datetime] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    invitee: Mapped[User] = relationship(foreign_keys=[invitee_id])
    inviter: Mapped[User | None] = relationship(foreign_keys=[inviter_id])

    def shown_state(self, now: datetime) -> str:
        """The state clients see: a pending invitation past its deadline is ``expired``."""
        if self.state == "pending" and self.expires <= now:
            return "expired"
        return self.state

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.state}>"
