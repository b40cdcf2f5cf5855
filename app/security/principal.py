"""Credentials → the request's :class:`Principal`: who is asking, and how far the credential reaches.

Credentials, first match wins: ``Authorization: Token|Bearer <key>``, ``X-API-Key: <key>``, then the
browser session cookie. A key in the query string is refused: it would end up in proxy and server logs.

What a principal is, and what it may do, is policy (:mod:`app.policy`); this module only reads
the request's credentials and checks that they are still good (unknown, revoked, expired, or the
build they were made for is over: 401).
"""

from __future__ import annotations

from datetime import timedelta

from flask import request
from sqlalchemy import bindparam, select, update

from app.context import current_request
from app.crypto import TOKEN_PREFIX, hash_api_key
from app.errors import AuthRequired, ValidationError
from app.extensions import db, read_connection
from app.freshness import quiet_write
from app.models import ApiToken, Build, User
from app.models.base import utcnow
from app.models.build import FINAL_STATES
from app.policy.principal import Person, Principal, TokenGrant

__all__ = ["LAST_USED_RESOLUTION", "Principal", "for_session", "for_token", "header_key",
           "refuse_query_credentials"]

_KEYWORDS = {"token", "bearer"}
#: Query parameters that look like credentials; refused rather than silently ignored.
_QUERY_CREDENTIALS = ("token", "api_key", "apikey", "access_token", "key")
#: ``last_used`` is written at most this often, so reads do not turn into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def refuse_query_credentials() -> None:
    """The API pipeline's first authentication check (docs pages may legitimately carry ``?key=``
    style parameters, which are ignored there)."""
    if not request.query_string:
        return
    for name, value in request.args.items(multi=True):
        if name.lower() in _QUERY_CREDENTIALS or value.startswith(TOKEN_PREFIX):
            raise ValidationError(
                "Credentials in the query string are refused (they leak into logs); send "
                "'Authorization: Token <key>' or 'X-API-Key: <key>' instead.",
                code="credentials_in_query",
                errors={name: ["Credentials are not accepted in the query string."]},
            )


def header_key() -> str | None:
    """The API key in the request's headers, None when there is none; a malformed header is a 401."""
    headers = current_request().headers
    header = headers.get("Authorization", "")
    if header:
        keyword, _, key = header.strip().partition(" ")
        if keyword.lower() not in _KEYWORDS or not key.strip():
            raise AuthRequired("Invalid token header. Use 'Authorization: Token <key>'.")
        return key.strip()
    api_key = headers.get("X-API-Key")
    if api_key is not None:
        if not api_key.strip():
            raise AuthRequired("Invalid X-API-Key header: it is empty.")
        return api_key.strip()
    return None


#: Every authenticated request runs it: built once (building it cost as much as running it), and run
#: on the session's connection for its columns (an ORM load of the token and its user cost twice that).
_TOKEN_BY_HASH = (
    select(ApiToken.id, ApiToken.user_id, ApiToken.build_id, ApiToken.scopes, ApiToken.project_ids,
           ApiToken.expires, ApiToken.last_used, ApiToken.revoked, User.username, User.role, User.is_active,
           Build.state)
    .outerjoin(User, User.id == ApiToken.user_id)
    .outerjoin(Build, Build.id == ApiToken.build_id)
    .where(ApiToken.key_hash == bindparam("key_hash"))
)


def for_token(key: str) -> Principal:
    """The principal of an API key; 401 when it is unknown, revoked, expired or its build is over."""
    row = read_connection().execute(_TOKEN_BY_HASH, {"key_hash": hash_api_key(key)}).first()
    if row is None:
        raise AuthRequired("Invalid token.")
    # One unpacking of the row (each read of a Row by name is a lookup of its own).
    token_id, user_id, build_id, token_scopes, project_ids, expires, last_used, revoked, username, role, \
        is_active, build_state = row
    now = utcnow()
    if revoked or (expires is not None and expires <= now):
        raise AuthRequired("Invalid token.")
    if build_id is not None and (build_state is None or build_state in FINAL_STATES):
        raise AuthRequired("Invalid token.")  # a build's token dies with its build, even if not revoked
    if user_id is None and build_id is None:
        raise AuthRequired("Invalid token.")  # no person and no build: nobody to act for
    if user_id is not None and not is_active:
        raise AuthRequired("User inactive or deleted.")
    if last_used is None or now - last_used > LAST_USED_RESOLUTION:
        # Bookkeeping no cached answer shows: a quiet write, so reads keep their cache (app.freshness).
        db.session.execute(quiet_write(update(ApiToken).where(ApiToken.id == token_id).values(last_used=now)))
        db.session.commit()
        last_used = now
    grant = TokenGrant(token_id, user_id, build_id, token_scopes, project_ids, expires, last_used)
    person = None if user_id is None else Person(user_id, username, role)
    return Principal.for_token(grant, person)


def for_session(user: User, session_id: int) -> Principal:
    return Principal.for_user(user, session_id)
