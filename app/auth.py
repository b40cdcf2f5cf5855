"""The request's principal and the permission rules every resource shares.

Who is asking is :mod:`app.security.principal`'s job (credentials → :class:`Principal`, built once
per request and kept on ``g``); this module applies the rules: scopes, a token's project
restriction, CSRF for sessions, and what a build's bot token may never do (act as a person).

Scopes: the helpers below (``require_user``, ``readable_project``, ``writable_project``) check the
scope the request needs - declared on the view, else derived from its blueprint and method in
:mod:`app.security.scopes` - and a token's project restriction; resource modules call them as
before and get both for free.
"""

from __future__ import annotations

from flask import g, has_request_context, request
from sqlalchemy import ColumnElement, Select, exists, select, true

from app.errors import AuthRequired, InsufficientScope, NotFound, PermissionDenied
from app.extensions import db
from app.models import ApiToken, Project, ProjectReadGrant, User
from app.security import principal as credentials
from app.security import scopes, sessions
from app.security.principal import LAST_USED_RESOLUTION, Principal, header_key

__all__ = ["LAST_USED_RESOLUTION", "Principal", "header_key"]


def load_user() -> User | None:
    """Authenticate the request once; an invalid token is a 401 even on public routes (as on RTD).

    Returns the person acting: None for anonymous requests and for a build's bot token (see
    :func:`current_principal` for who the credential is).
    """
    if "current_user" in g:
        return g.current_user
    g.current_user, g.current_token, g.auth_via, g.csrf_error = None, None, None, None
    g.current_principal = None
    credentials.refuse_query_credentials()
    key = header_key()
    if key is None:
        row = sessions.current_session()
        if row is not None and request.method not in scopes.SAFE_METHODS and request.path.startswith("/api/"):
            try:
                sessions.check_csrf(request.headers.get(sessions.CSRF_HEADER))
            except PermissionDenied as exc:
                # Without the CSRF token the session carries no authority: anonymous routes (device
                # login) still work, routes that need a user answer with this error (require_user).
                g.csrf_error = exc
                return None
        if row is not None:
            _set_principal(credentials.for_session(row.user, row.id))
        return g.current_user
    _set_principal(credentials.for_token(key))
    return g.current_user


def _set_principal(principal: Principal) -> None:
    g.current_principal = principal
    g.current_user, g.current_token, g.auth_via = principal.user, principal.token, principal.via


def current_principal() -> Principal | None:
    """The request's credential (user or bot), None when anonymous."""
    load_user()
    return g.get("current_principal")


def current_user() -> User | None:
    return load_user()


def current_token() -> ApiToken | None:
    load_user()
    return g.get("current_token")


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
    ):
        policy = scopes.declared_policy()
        if policy is None or not policy.project_free:
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


def require_token_manager() -> tuple[User, ApiToken | None]:
    """Listing, creating and revoking tokens: a session, or a person's token with the ``tokens`` scope.

    Returns the user and the token making the request (None for a session), which bounds what it sees.
    """
    user = require_user()
    principal = _authenticated()
    if not principal.manages_tokens:
        raise InsufficientScope("tokens")
    return user, principal.token


def _restricted_out(user: User, project: Project) -> bool:
    """True when the request's token does not cover this project (only for the request's own user)."""
    if not has_request_context():
        return False
    principal = g.get("current_principal")
    return (
        principal is not None
        and principal.token is not None
        and principal.user is user
        and not principal.covers(project.id)
    )


def _bot_reads(project: Project) -> bool:
    """A build's token reads its own project, private or not (and only that one)."""
    principal = g.get("current_principal") if has_request_context() else None
    return principal is not None and principal.is_bot and principal.covers(project.id)


def token_projects_filter() -> ColumnElement[bool]:
    """SQL condition for list queries: only the projects the request's token is restricted to.

    ``GET /projects/`` lists what the user maintains; with a restricted token it should add
    ``.where(auth.token_projects_filter())`` so the listing matches what the token may act on.
    """
    principal = g.get("current_principal") if has_request_context() else None
    if principal is None or principal.project_ids is None:
        return true()
    return Project.id.in_(principal.project_ids)


def has_grant(user: User, project: Project) -> bool:
    stmt = exists().where(ProjectReadGrant.project_id == project.id, ProjectReadGrant.user_id == user.id)
    return bool(db.session.scalar(select(stmt)))


def has_private_access(user: User | None, project: Project) -> bool:
    """Admin, maintainer or read grant: what it takes to see a private project and private versions.

    Without a user, only the request's own build token reading its own project.
    """
    if user is None:
        return _bot_reads(project)
    if _restricted_out(user, project):
        return False
    return user.is_admin or project.is_maintainer(user) or has_grant(user, project)


def can_read(user: User | None, project: Project) -> bool:
    return project.privacy_level == "public" or has_private_access(user, project)


def can_write(user: User | None, project: Project) -> bool:
    """Maintainers and admins; a viewer never writes, a read grant never allows writes."""
    if user is None or user.role == "viewer" or _restricted_out(user, project):
        return False
    return user.is_admin or project.is_maintainer(user)


def _find_project(slug: str, query: Select[Project] | None = None) -> Project | None:
    stmt = select(Project) if query is None else query
    return db.session.scalars(stmt.where(Project.slug == slug)).unique().one_or_none()


def readable_project(slug: str, query: Select[Project] | None = None) -> Project:
    """The project for a read: invisible private projects look exactly like missing ones.

    ``query`` is the select to find it with, when the caller wants eager loads: the project is
    then looked up once, not once for the check and again for the representation.
    """
    user = load_user()
    if user is not None:
        check_scope()
    project = _find_project(slug, query)
    if project is None or not can_read(user, project):
        raise NotFound("No Project matches the given query.")
    return project


def writable_project(slug: str) -> Project:
    """Authentication → scope → permission on the project, in Read the Docs' order (401, 403/404).

    The seam runs this before the body is parsed and the view asks again: the outcome is kept for
    the request, so a write pays for the lookup (and the build quota query) once.
    """
    cached = g.get("writable_project")
    if cached is not None and cached.slug == slug:
        return cached
    user = require_user()
    project = _find_project(slug)
    if project is None or not can_read(user, project):
        raise NotFound("No Project matches the given query.")
    if not can_write(user, project):
        raise PermissionDenied("You do not have permission to perform this action.")
    if scopes.is_build_trigger():
        from app.services.quotas import check_active_builds

        check_active_builds(user)
    g.writable_project = project
    return project


def require_admin() -> User:
    user = require_user()
    if not user.is_admin:
        raise PermissionDenied("Only administrators may do this.")
    check_scope("admin")
    return user


def project_for(slug: str, method: str) -> Project:
    return readable_project(slug) if method in scopes.SAFE_METHODS else writable_project(slug)
