"""The :class:`Principal`: who a credential is and how far it reaches, without the request.

A principal is a *user* (a person's token or browser session) or a *bot* (a build's token). A bot
belongs to no person: when a build's token was owned by one of the project's maintainers, a project
that added an administrator as a maintainer handed that administrator's powers to its next build.
A bot reads its own project and nothing else, and can never act as a person (``user`` is None).

Every rule that depends on the credential rather than on the person - scopes, project restriction,
expiry, whether it may manage tokens - reads the principal, so "narrower than itself" has one
meaning. Turning a request's credentials into a principal is :mod:`app.security.principal`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.models import ApiToken, User
from app.policy import scopes as scope_rules


@dataclass(frozen=True)
class Principal:
    """One credential: a user's token or session, or a build's bot token."""

    kind: Literal["user", "bot"]
    via: Literal["token", "session"]
    #: The person acting; None for a bot, which acts for a build and never as anyone.
    user: User | None
    token: ApiToken | None = None
    #: The server-side session row's id when a browser session is the credential.
    session_id: int | None = None

    @classmethod
    def for_user(cls, user: User, session_id: int | None = None) -> Principal:
        """A person's whole reach (a browser session): no scope limit, no project restriction."""
        return cls("user", "session", user, session_id=session_id)

    @property
    def is_bot(self) -> bool:
        return self.kind == "bot"

    @property
    def scopes(self) -> list[str] | None:
        """None: every scope (a session, or a token made without scopes)."""
        return self.token.scopes if self.token is not None else None

    @property
    def project_ids(self) -> list[int] | None:
        """None: no project restriction (a session, or a token made for all the user's projects)."""
        return self.token.project_ids if self.token is not None else None

    @property
    def expires(self) -> datetime | None:
        return self.token.expires if self.token is not None else None

    @property
    def credential_id(self) -> str:
        """Names this credential (not the person): per-credential state such as idempotency keys."""
        if self.token is not None:
            return f"token:{self.token.id}"
        return f"session:{self.session_id}"

    @property
    def rate_key(self) -> str:
        """Whose budget a request spends: a person's, or one build's."""
        if self.user is not None:
            return f"user:{self.user.id}"
        return f"build:{self.token.build_id if self.token is not None else 0}"

    def grants(self, scope: str) -> bool:
        return scope_rules.grants(self.scopes, scope)

    def covers(self, project_id: int) -> bool:
        """Whether the credential's project restriction lets it act on this project at all."""
        return self.project_ids is None or project_id in self.project_ids

    @property
    def manages_tokens(self) -> bool:
        """A session, or a person's token with the ``tokens`` scope (full tokens have every scope)."""
        return not self.is_bot and self.grants("tokens")
