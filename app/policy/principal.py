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

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from app.extensions import db
from app.models import ApiToken, User
from app.policy import scopes as scope_rules


@dataclass(frozen=True)
class Person:
    """What the rules read of the person acting: read with the credential, no ORM row needed."""

    id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def of(cls, user: User) -> Person:
        return cls(user.id, user.username, user.role)


@dataclass(frozen=True, eq=False)
class TokenGrant:
    """What a token allows (its columns, read with its key): every API request reads one, and loading
    the ORM row cost more than the rest of a 304 answer."""

    id: int
    user_id: int | None
    build_id: int | None
    scopes: list[str] | None
    project_ids: list[int] | None
    expires: datetime | None
    last_used: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenGrant:
        return cls(token.id, token.user_id, token.build_id, token.scopes, token.project_ids, token.expires,
                   token.last_used)


@dataclass(frozen=True, eq=False)
class Principal:
    """One credential: a user's token or session, or a build's bot token."""

    kind: Literal["user", "bot"]
    via: Literal["token", "session"]
    #: The person acting; None for a bot, which acts for a build and never as anyone.
    person: Person | None
    token: TokenGrant | None = None
    #: The server-side session row's id when a browser session is the credential.
    session_id: int | None = None
    _user: User | None = field(default=None, repr=False)

    @classmethod
    def for_user(cls, user: User, session_id: int | None = None) -> Principal:
        """A person's whole reach (a browser session): no scope limit, no project restriction."""
        return cls("user", "session", Person.of(user), session_id=session_id, _user=user)

    @classmethod
    def for_token(cls, token: ApiToken | TokenGrant, user: User | Person | None) -> Principal:
        """A token's principal: its person's, or a bot's (``user`` None)."""
        grant = token if isinstance(token, TokenGrant) else TokenGrant.of(token)
        if user is None:
            return cls("bot", "token", None, grant)
        if isinstance(user, Person):
            return cls("user", "token", user, grant)
        return cls("user", "token", Person.of(user), grant, _user=user)

    @property
    def user(self) -> User | None:
        """The person's row, loaded on first use: a read that needs only the rules never loads it."""
        if self.person is None:
            return None
        if self._user is None:
            object.__setattr__(self, "_user", db.session.get(User, self.person.id))
        return self._user

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
        if self.person is not None:
            return f"user:{self.person.id}"
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
