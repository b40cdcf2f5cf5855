"""The request's principal, and the request-facing checks that apply :mod:`app.policy` to it.

Who is asking is built once per request (credentials → :class:`Principal`, by
:mod:`app.security.principal`) and kept on ``g``; what that principal may do is the policy's, which
takes it explicitly. This module adds what only the request knows: the scope the route needs
(declared on the view: :mod:`app.security.scopes`),
CSRF for sessions, the 401/403/404 a refusal becomes, and the request's audit origin.

Resource modules call ``require_user``, ``readable_project`` and ``writable_project`` and get scope
checks and the token's project restriction for free; services get ``current_principal()``.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import Select, select

from app import policy
from app.context import current_request, request_globals
from app.errors import AuthRequired, InsufficientScope, NotFound, PermissionDenied
from app.extensions import db
from app.models import ApiToken, Project, User
from app.security import principal as credentials
from app.security import route, scopes, sessions
from app.security.principal import LAST_USED_RESOLUTION, Principal, header_key
from app.services import audit

__all__ = ["LAST_USED_RESOLUTION", "Principal", "header_key"]


def begin_request() -> None:
    """Bind where this request's changes come from (request id, client address) for the audit log.

    Called by the request pipeline once the request id is assigned; authentication adds the actor.
    """
    audit.bind_origin(audit.Origin(request_id=request_globals().get("request_id"),
                                   ip=current_request().remote_addr))


def end_request() -> None:
    """An app context (tests, CLI) may outlive its request: what comes after is not this request's."""
    audit.bind_origin(None)


def audit_origin() -> audit.Origin:
    """This request's origin, for a view that passes it to a service explicitly."""
    return audit.bound_origin()


def authenticate() -> User | None:
    """The person acting, authenticating the request first if it was not (see :func:`current_principal`):
    None for anonymous requests and for a build's bot token."""
    principal = current_principal()
    return principal.user if principal is not None else None


#: Not yet authenticated (``None`` on ``g`` means: authenticated, anonymous). Asked several times a
#: request, so one read of ``g`` answers it.
_UNAUTHENTICATED: Any = object()


def current_principal() -> Principal | None:
    """The request's credential (user or bot), None when anonymous.

    The request is authenticated once (the pipeline's step; later calls reuse the outcome); an invalid
    token is a 401 even on public routes (as on RTD).
    """
    state = request_globals()
    principal: Principal | None = state.get("current_principal", _UNAUTHENTICATED)
    if principal is _UNAUTHENTICATED:
        state.current_principal, state.auth_via, state.csrf_error = None, None, None
        _authenticate_request()
        principal = state.current_principal
    return principal


def _authenticate_request() -> None:
    key = header_key()
    if key is not None:
        _set_principal(credentials.for_token(key))
        return
    row = sessions.current_session()
    # API writes need the session's CSRF token (browser forms check their own field).
    if row is not None and request.method not in scopes.SAFE_METHODS and route.is_api():
        try:
            sessions.check_csrf(request.headers.get(sessions.CSRF_HEADER))
        except PermissionDenied as exc:
            # Without the CSRF token the session carries no authority: anonymous routes (device
            # login) still work, routes that need a user answer with this error (require_user).
            g.csrf_error = exc
            return
    if row is not None:
        _set_principal(credentials.for_session(row.user, row.id))


def _set_principal(principal: Principal) -> None:
    state = request_globals()
    state.current_principal, state.auth_via = principal, principal.via
    if principal.person is not None:
        origin = audit.bound_origin()
        audit.bind_origin(audit.Origin(principal.person.username, origin.request_id, origin.ip))


def current_user() -> User | None:
    """The person acting (the one name for it): None when anonymous, for a build's bot token, and
    outside any request (a schema dumped by a job)."""
    return authenticate() if has_request_context() else None


def principal_for(user: User | None) -> Principal | None:
    """The principal to judge ``user`` by: the request's own when it is that user's (or the bot's,
    when ``user`` is None), else that user's whole reach (a docs reader's cookie names a person)."""
    principal = g.get("current_principal")
    if principal is not None and principal.user is user:
        return principal
    return None if user is None else Principal.for_user(user)


def has_private_access(user: User | None, project: Project) -> bool:
    """Admin, maintainer or read grant (private projects and versions), within the credential's reach."""
    return policy.has_private_access(principal_for(user), project)


def check_scope(scope: str | None = None) -> None:
    """403 ``insufficient_scope`` when the request's token lacks ``scope`` (default: the route's)."""
    principal = current_principal()
    if principal is None or principal.scopes is None:
        return
    scope = scope or scopes.required_scope()
    if scope is not None and not principal.grants(scope):
        raise InsufficientScope(scope)


def _check_unbound_write() -> None:
    """A token restricted to some projects cannot act outside them (e.g. import a new project)."""
    principal = g.get("current_principal")
    if (
        principal is not None
        and principal.project_ids is not None
        and request.method not in scopes.SAFE_METHODS
        and scopes.required_scope() is not None
        and "project_slug" not in (request.view_args or {})
        and not scopes.project_free()
    ):
        raise PermissionDenied("This token is restricted to some projects and cannot act outside them.")


def _authenticated() -> Principal:
    principal = current_principal()
    if principal is None:
        if g.get("csrf_error") is not None:
            raise g.csrf_error
        raise AuthRequired("Authentication credentials were not provided.")
    return principal


def require_user() -> User:
    """The person acting, with the route's scope; a build's bot token is never one (403)."""
    principal = _authenticated()
    check_scope()
    if principal.user is None:
        raise PermissionDenied(
            "A build's token only reads its own project; it cannot act as a user.", code="bot_not_allowed"
        )
    _check_unbound_write()
    return principal.user


def require_principal() -> Principal:
    """:func:`require_user`'s checks, returning the credential itself (what services take)."""
    require_user()
    return _authenticated()


def require_token_manager() -> tuple[User, ApiToken | None]:
    """Listing, creating and revoking tokens: a session, or a person's token with the ``tokens`` scope.

    Returns the user and the token making the request (None for a session), which bounds what it sees.
    """
    user = require_user()
    principal = _authenticated()
    if not principal.manages_tokens:
        raise InsufficientScope("tokens")
    if principal.token is None:
        return user, None
    token = db.session.get(ApiToken, principal.token.id)
    if token is None:  # deleted since this request authenticated: never "no token", i.e. no limits
        raise AuthRequired("Invalid token.")
    return user, token


def _find_project(slug: str, query: Select[Project] | None = None) -> Project | None:
    stmt = select(Project) if query is None else query
    return db.session.scalars(stmt.where(Project.slug == slug)).unique().one_or_none()


def readable_project(slug: str, query: Select[Project] | None = None) -> Project:
    """The project for a read: invisible private projects look exactly like missing ones.

    ``query`` is the select to find it with, when the caller wants eager loads: the project is
    then looked up once, not once for the check and again for the representation.
    """
    user = current_user()
    if user is not None:
        check_scope()
    project = _find_project(slug, query)
    if project is None or not policy.can_read(current_principal(), project):
        raise NotFound("No Project matches the given query.")
    return project


def writable_project(slug: str) -> Project:
    """Authentication → scope → permission on the project, in Read the Docs' order (401, 403/404).

    The seam runs this before the body is parsed and the view asks again: the outcome is kept for
    the request, so a write pays for the lookup once.
    """
    cached = g.get("writable_project")
    if cached is not None and cached.slug == slug:
        return cached
    require_user()
    principal = current_principal()
    project = _find_project(slug)
    if project is None or not policy.can_read(principal, project):
        raise NotFound("No Project matches the given query.")
    if not policy.can_write(principal, project):
        raise PermissionDenied("You do not have permission to perform this action.")
    g.writable_project = project
    return project


def require_admin() -> User:
    user = require_user()
    if not user.is_admin:
        raise PermissionDenied("Only administrators may do this.")
    check_scope("admin")
    return user
