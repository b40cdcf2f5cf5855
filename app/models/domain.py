"""Custom domains: a project's docs served at a host of its own (``docs.example.com``).

A domain belongs to one project (unique, stored lowercase); at most one per project is *canonical*,
which is where the project's docs URLs point and where its default docs host redirects. The partial
unique index makes "one canonical per project" a fact of the database, not only of the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin

if TYPE_CHECKING:
    from app.models.project import Project

#: RFC 1035's limit on a whole name.
MAX_DOMAIN_LENGTH = 253


class Domain(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "domains"
    __table_args__ = (
        Index(
            "uq_domains_one_canonical",
            "project_id",
            unique=True,
            sqlite_where=text("canonical"),
            postgresql_where=text("canonical"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    #: The host name, lowercase ASCII (an internationalised name in its IDNA ``xn--`` form).
    domain: Mapped[str] = mapped_column(String(MAX_DOMAIN_LENGTH), unique=True)
    canonical: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Whether the docs URLs on this domain are ``https://`` (TLS is the proxy's in front of Docshelf).
    https: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    project: Mapped[Project] = relationship()

    @property
    def url(self) -> str:
        """The domain's root URL, without trailing slash."""
        return f"{'https' if self.https else 'http'}://{self.domain}"

    def __repr__(self) -> str:
        return f"<Domain {self.domain}>"
