"""Docs-origin credentials ("grants"): who may read private docs on the docs origin, for how long.

A grant is a random id kept in Redis naming the browser session (a :class:`~app.models.UserSession`
row) that asked for it. It is valid while it has not expired and that row lives: logout, a password
change and ``docshelf users end-sessions`` delete the row, and with it every grant it handed out.
Grants only ever authorise reading docs (:mod:`app.serving.docs_auth`).
"""

from __future__ import annotations

import json
import secrets

from app.extensions import db, get_redis
from app.models import User, UserSession

_GRANT = "docs-grant:{}"
_USED_TICKET = "docs-ticket-used:{}"


def use_ticket(nonce: str, seconds: int) -> bool:
    """True the first time a ticket's nonce is seen (a ticket works once)."""
    return bool(get_redis().set(_USED_TICKET.format(nonce), 1, nx=True, ex=seconds))


def create_grant(session: UserSession, lifetime: int) -> str:
    grant = secrets.token_urlsafe(24)
    get_redis().set(_GRANT.format(grant), json.dumps({"u": session.user_id, "s": session.id}), ex=lifetime)
    return grant


def grant_user(grant: str) -> User | None:
    """The user of a live grant whose browser session still lives, else None."""
    stored = get_redis().get(_GRANT.format(grant))
    if stored is None:
        return None
    data = json.loads(stored)
    row = db.session.get(UserSession, data["s"])
    if row is None or row.user_id != data["u"] or not row.user.is_active:
        return None  # the session ended (logout, password change, end-sessions) or the user is inactive
    return row.user
