"""Private docs on the docs origin: a short-lived, docs-only credential handed over from the app origin.

The docs origin never sees the app's session cookie. A reader of private docs is sent to the app
origin (``/auth/docs/?next=<docs URL>``), which, for a signed-in user, redirects back to the docs
origin's ``/_/auth/`` with a ticket: signed, valid for a minute, usable once. The docs origin turns it
into its own cookie naming a *grant* kept in Redis, which expires on its own (``DOCS_SESSION_LIFETIME``)
and dies with the app session it came from (logout, a password change, ``end-sessions``). A grant
only lets its user *read docs*: the API ignores the cookie, and the docs origin serves no API.

Tickets and cookies are bound to the host they were made for. A project's custom domain may point
anywhere its maintainers like, so a ticket sent there can end up in a stranger's server log: redeemed
anywhere but on that host it is refused, and the cookie it gives there is worthless on any other host
(where a custom domain's cookie is honoured, it reads that domain's project only:
:func:`app.serving.access.outside_custom_domain`).
"""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlsplit

from flask import Blueprint, current_app, redirect, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import User, UserSession
from app.problems import problem
from app.security import sessions
from app.services import docs_access
from app.services.domains import host_name
from app.serving import origin

DOCS_COOKIE = "docshelf_docs"
TICKET_SECONDS = 60

app_bp = Blueprint("docs_auth", __name__)  # on the app origin (it needs the session)
docs_bp = Blueprint("docs_grant", __name__)  # on the docs origin


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def handover_url(next_url: str) -> str:
    """Where the docs origin sends a reader without a credential: the app origin's handover."""
    from app.urls import public_base

    return f"{public_base()}/auth/docs/?next={quote(next_url, safe='')}"


@app_bp.get("/auth/docs/")
def hand_over() -> Response:
    """App origin: a signed-in user gets a one-time ticket for the docs origin URL in ``next``."""
    target = request.args.get("next", "")
    if not origin.is_docs_url(target):
        return problem(400, "'next' must be a URL on the documentation origin.", code="invalid_next")
    row = sessions.current_session()
    if row is None:
        login = f"/login?next={quote(request.full_path, safe='')}"
        response = redirect(login, code=302)
        response.headers["Cache-Control"] = "no-store"
        return response
    parts = urlsplit(target)
    ticket = _serializer("docs-ticket").dumps(
        {"s": row.id, "n": secrets.token_urlsafe(16), "h": host_name(parts.netloc)})
    back = parts.path + (f"?{parts.query}" if parts.query else "")
    accept_url = f"{parts.scheme}://{parts.netloc}/_/auth/?ticket={ticket}&next={quote(back, safe='')}"
    response = redirect(accept_url, code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


@docs_bp.get("/_/auth/")
def accept() -> Response:
    """Docs origin: exchange a fresh ticket for this origin's own cookie, then go to ``next``."""
    if not origin.is_docs_host(request.host):
        return problem(404, "Not found.")
    next_path = request.args.get("next", "/")
    if not next_path.startswith("/") or next_path.startswith("//") or "\\" in next_path or any(
            ord(c) < 32 for c in next_path):
        next_path = "/"
    try:
        data = _serializer("docs-ticket").loads(request.args.get("ticket", ""), max_age=TICKET_SECONDS)
    except BadSignature:
        return problem(400, "The sign-in link expired or is invalid; open the page again.",
                       code="invalid_ticket")
    if not isinstance(data, dict) or data.get("h") != host_name(request.host):
        return problem(400, "This sign-in link is for another site; open the page again.",
                       code="invalid_ticket")
    if not docs_access.use_ticket(str(data["n"]), TICKET_SECONDS * 2):
        return problem(400, "This sign-in link was already used; open the page again.", code="invalid_ticket")
    lifetime = int(current_app.config["DOCS_SESSION_LIFETIME"])
    row = db.session.get(UserSession, int(data["s"]))
    if row is None:
        return problem(400, "The sign-in ended meanwhile; open the page again.", code="invalid_ticket")
    grant = docs_access.create_grant(row, lifetime)
    response = redirect(next_path, code=302)
    response.headers["Cache-Control"] = "no-store"
    value = _serializer("docs-grant").dumps({"g": grant, "h": host_name(request.host)})
    response.set_cookie(DOCS_COOKIE, value, max_age=lifetime, httponly=True,
                        secure=request.scheme == "https", samesite="Lax", path="/")
    return response


def grant_user() -> User | None:
    """The reader this origin's cookie names, while its grant lives."""
    raw = request.cookies.get(DOCS_COOKIE)
    if not raw:
        return None
    try:
        grant = _serializer("docs-grant").loads(raw)
    except BadSignature:
        return None
    if not isinstance(grant, dict) or grant.get("h") != host_name(request.host):
        return None  # a cookie carried over from another host (app.serving.docs_auth's docstring)
    return docs_access.grant_user(str(grant.get("g")))
