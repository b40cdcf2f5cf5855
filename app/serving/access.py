"""Who may read which docs, and how a refusal looks to a browser versus an API client.

The rules are :mod:`app.auth`'s (admin, maintainer or read grant for private projects and versions);
this module only adapts them to serving: a bad credential on a public page is ignored rather than
failing the page, a browser without a session is sent to the login page, an API client (JSON
``Accept`` or credentials in a header) gets the error contract's 401, and a signed-in reader without
access sees the same 404 as for a missing page, so private slugs do not leak.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app, redirect, request, url_for
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from app import auth
from app.api.errors import problem
from app.errors import DocshelfError
from app.models import Project, User, Version

LOGIN_PATH = "/login"


def viewer() -> User | None:
    """The reader: a token (header) or the browser session; an invalid credential reads as anonymous."""
    try:
        user = auth.load_user()
        if user is not None:
            auth.check_scope("projects:read")
    except DocshelfError:
        return None
    return user


def can_view(project: Project, version: Version | None = None) -> bool:
    """Public docs never look at credentials (no session access, so no ``Vary: Cookie`` on them)."""
    if project.privacy_level != "public" and not auth.has_private_access(viewer(), project):
        return False
    if version is not None and version.privacy_level != "public":
        return auth.has_private_access(viewer(), project)
    return True


def is_private(project: Project, version: Version | None = None) -> bool:
    """Whether a response depends on who asks (so shared caches must not keep it)."""
    return project.privacy_level != "public" or (version is not None and version.privacy_level != "public")


def wants_json() -> bool:
    """API clients: credentials in a header, or JSON preferred over HTML."""
    if "Authorization" in request.headers or "X-API-Key" in request.headers:
        return True
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/html")


def login_url() -> str:
    """The login page with ``next`` pointing back here (the login view decides which targets it trusts)."""
    try:
        base = url_for("web.login")
    except BuildError:
        base = LOGIN_PATH
    target = request.full_path if request.query_string else request.path
    if current_app.config.get("DOCS_DOMAIN") and request.host_url.rstrip("/") != _public_url():
        target = request.url  # another host: the login page needs the whole URL to come back
        base = _public_url() + base
    return f"{base}?next={quote(target, safe='/')}"


def _public_url() -> str:
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


def deny(not_found: Response) -> Response:
    """The refusal for a reader who may not see this: login/401 when anonymous, else ``not_found``."""
    if viewer() is not None:
        return not_found
    if wants_json():
        return problem(401, "Authentication credentials were not provided.")
    response = redirect(login_url(), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response
