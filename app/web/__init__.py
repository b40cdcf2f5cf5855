"""Browser pages: the landing page, login, logout and the device-login verification page (RFC 8628 §3.3).

Plain HTML forms with a CSRF token in each; the session cookie is HttpOnly, SameSite=Lax and Secure
(``DOCSHELF_SESSION_COOKIE_SECURE``). Pages are not framable and load nothing from elsewhere; they
share the browsable API's stylesheet (no inline styles: the CSP forbids them).
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from flask import Blueprint, Response, make_response, redirect, render_template, request

from app.errors import DocshelfError
from app.security import sessions
from app.services import accounts, device
from app.services.device import DEFAULT_SCOPES
from app.urls import docs_base

bp = Blueprint("web", __name__)
_DEFAULT_NEXT = "/api/v3/"
_MAX_NEXT = 2048
_CSP = "default-src 'self'; base-uri 'none'; frame-ancestors 'none'"


def _page(template: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("user", sessions.session_user())
    response = make_response(render_template(template, csrf_token=sessions.csrf_token(), **context), status)
    response.headers["X-Frame-Options"] = "DENY"
    # No form-action: the login form's answer may redirect to the docs origin's handover.
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_next(target: str | None) -> str:
    """Only same-origin paths, else the default: never another site, never a 500.

    A browser reads ``//evil.example`` and ``/\\evil.example`` as other sites, and drops tabs and
    newlines inside a URL, so ``/<TAB>/evil.example`` becomes ``//evil.example``; a newline in the
    Location header is a server error. So control characters and backslashes are refused outright
    (also once percent-decoded again), and the ``//`` test runs on the target without its whitespace.
    """
    if not target or not target.startswith("/") or len(target) > _MAX_NEXT:
        return _DEFAULT_NEXT
    for form in (target, unquote(target)):
        if "\\" in form or any(unicodedata.category(ch)[0] == "C" for ch in form):
            return _DEFAULT_NEXT
        squeezed = "".join(form.split())
        if not squeezed.startswith("/") or squeezed.startswith("//"):
            return _DEFAULT_NEXT
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return _DEFAULT_NEXT
    return target


def _csrf_ok() -> bool:
    try:
        sessions.check_csrf(request.form.get("csrf_token"))
    except DocshelfError:
        return False
    return True


@bp.route("/")
def landing() -> Response:
    """Where a visitor starts: links to the projects, the API root, its reference and the docs."""
    return _page("landing.html", docs_url=docs_base())


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return _page("login.html", next=target)
    if not _csrf_ok():
        return _page("login.html", 403, next=target, error="The form expired; please try again.")
    username = request.form.get("username", "")[:150]
    user = accounts.authenticate(username, request.form.get("password", ""))
    if user is None:
        return _page("login.html", 401, next=target, error="Invalid username or password.", username=username)
    sessions.login(user)
    return redirect(target, code=303)  # type: ignore[return-value]


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    if request.method == "GET":
        return _page("logout.html")
    if not _csrf_ok():
        return _page("logout.html", 403, error="The form expired; please try again.")
    sessions.logout()
    return redirect("/login", code=303)  # type: ignore[return-value]


@bp.route("/device", methods=["GET", "POST"])
def verify_device() -> Response:
    user = sessions.session_user()
    code = request.values.get("user_code", "")[:32]
    if user is None:
        here = "/device" + (f"?{urlencode({'user_code': code})}" if code else "")
        return redirect("/login?" + urlencode({"next": here}), code=303)  # type: ignore[return-value]
    if request.method == "GET":
        if not code:
            return _page("device.html", user=user)
        try:
            pending = device.pending_by_user_code(code)
        except DocshelfError as exc:
            return _page("device.html", 404, user=user, user_code=code, error=exc.detail)
        return _page("device_confirm.html", user=user, request_=pending, default_scopes=DEFAULT_SCOPES)
    if not _csrf_ok():
        return _page(
            "device.html", 403, user=user, user_code=code, error="The form expired; please try again."
        )
    try:
        pending = device.pending_by_user_code(code)
        approve = request.form.get("action") == "approve"
        device.decide(pending, user, approve)
    except DocshelfError as exc:
        return _page("device.html", 400, user=user, user_code=code, error=exc.detail)
    return _page("device_done.html", user=user, approved=approve)
