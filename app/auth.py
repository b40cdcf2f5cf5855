"""Credentials → the current user and token, and the permission rules every resource shares.

Credentials, first match wins: ``Authorization: Token|Bearer <key>``, ``X-API-Key: <key>``, then the
browser session cookie (with CSRF on unsafe methods). A key in the query string is refused: it
would end up in proxy and server logs.

Scopes: the helpers below (``require_user``, ``readable_project``, ``writable_project``) check the
scope the request needs, derived from its blueprint and method in :mod:`app.security.scopes`, and
a token's project restriction; resource modules call them as before and get both for free.
"""

from __future__ import annotations

from datetime import timedelta

from flask import g, has_request_context, request
from sqlalchemy import ColumnElement, Select, exists, select, true, update
from sqlalchemy.orm import joinedload

from app.crypto import TOKEN_PREFIX, hash_api_key
from app.errors import AuthRequired, InsufficientScope, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.freshness import quiet_write
from app.models import ApiToken, Build, Project, ProjectReadGrant, User
from app.models.base import utcnow
from app.models.build import FINAL_STATES
from app.security import scopes, sessions

_KEYWORDS = {"token", "bearer"}
#: Query parameters that look like credentials; refused rather than silently ignored.
_QUERY_CREDENTIALS = ("token", "api_key", "apikey", "access_token", "key")
#: ``last_used`` is written at most this often, so reads do not turn into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _refuse_query_credentials() -> None:
    """API only: docs pages may legitimately carry ``?key=`` style parameters, which are ignored there."""
    if not request.path.startswith("/api/"):
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
    header = request.headers.get("Authorization", "")
    if header:
        keyword, _, key = header.strip().partition(" ")
        if keyword.lower() not in _KEYWORDS or not key.strip():
            raise AuthRequired("Invalid token header. Use 'Authorization: Token <key>'.")
        return key.strip()
    api_key = request.headers.get("X-API-Key")
    if api_key is not None:
        if not api_key.strip():
            raise AuthRequired("Invalid X-API-Key header: it is empty.")
        return api_key.strip()
    return None


def _token_for(key: str) -> ApiToken:
    token = db.session.scalar(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.key_hash == hash_api_key(key))
    )
    now = utcnow()
    if token is None or token.revoked or (token.expires is not None and token.expires <= now):
        raise AuthRequired("Invalid token.")
    if token.build_id is not None:  # a build's token dies with its build, even if revocation was missed
        state = db.session.scalar(select(Build.state).where(Build.id == token.build_id))
        if state is None or state in FINAL_STATES:
            raise AuthRequired("Invalid token.")
    if not token.user.is_active:
        raise AuthRequired("User inactive or deleted.")
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        # Bookkeeping no cached answer shows: a quiet write, so reads keep their cache (app.freshness).
        db.session.execute(quiet_write(update(ApiToken).where(ApiToken.id == token.id).values(last_used=now)))
        db.session.commit()
    return token


def load_user() -> User | None:
    """Authenticate the request once; an invalid token is a 401 even on public routes (as on RTD)."""
    if "current_user" in g:
        return g.current_user
    g.current_user, g.current_token, g.auth_via, g.csrf_error = None, None, None, None
    _refuse_query_credentials()
    key = header_key()
    if key is None:
        user = sessions.session_user()
        if (
            user is not None
            and request.method not in scopes.SAFE_METHODS
            and request.path.startswith("/api/")
        ):
            try:
                sessions.check_csrf(request.headers.get(sessions.CSRF_HEADER))
            except PermissionDenied as exc:
                # Without the CSRF token the session carries no authority: anonymous routes (device
                # login) still work, routes that need a user answer with this error (require_user).
                g.csrf_error = exc
                return None
        if user is not None:
            g.current_user, g.auth_via = user, "session"
        return user
    token = _token_for(key)
    g.current_user, g.current_token, g.auth_via = token.user, token, "token"
    return token.user


def current_user() -> User | None:
    return load_user()


def current_token() -> ApiToken | None:
    load_user()
    return g.get("current_token")


def check_scope(scope: str | None = None) -> None:
    """403 ``insufficient_scope`` when the request's token lacks ``scope`` (default: the route's)."""
    token = current_token()
    if token is None or token.scopes is None:
        return
    scope = scope or scopes.required_scope()
    if scope is not None and not scopes.grants(token.scopes, scope):
        raise InsufficientScope(scope)


def _check_unbound_write() -> None:
    """A token restricted to some projects cannot act outside them (e.g. import a new project)."""
    token = g.get("current_token")
    if (
        token is not None
        and token.project_ids is not None
        and request.method not in scopes.SAFE_METHODS
        and scopes.required_scope() is not None
        and "project_slug" not in (request.view_args or {})
    ):
        raise PermissionDenied("This token is restricted to some projects and cannot act outside them.")


def require_user() -> User:
    user = load_user()
    if user is None:
        if g.get("csrf_error") is not None:
            raise g.csrf_error
        raise AuthRequired("Authentication credentials were not provided.")
    check_scope()
    _check_unbound_write()
    return user


def _restricted_out(user: User, project: Project) -> bool:
    """True when the request's token does not cover this project (only for the request's own user)."""
    if not has_request_context():
        return False
    token = g.get("current_token")
    return token is not None and g.get("current_user") is user and not token.allows_project(project.id)


def token_projects_filter() -> ColumnElement[bool]:
    """SQL condition for list queries: only the projects the request's token is restricted to.

    ``GET /projects/`` lists what the user maintains; with a restricted token it should add
    ``.where(auth.token_projects_filter())`` so the listing matches what the token may act on.
    """
    token = g.get("current_token") if has_request_context() else None
    if token is None or token.project_ids is None:
        return true()
    return Project.id.in_(token.project_ids)


def has_grant(user: User, project: Project) -> bool:
    stmt = exists().where(ProjectReadGrant.project_id == project.id, ProjectReadGrant.user_id == user.id)
    return bool(db.session.scalar(select(stmt)))


def has_private_access(user: User | None, project: Project) -> bool:
    """Admin, maintainer or read grant: what it takes to see a private project and private versions."""
    if user is None or _restricted_out(user, project):
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
