"""Accounts and protection wired into the app: hardened session cookies, server-side sessions, the
audit listeners, and the answer to a value the database refuses.

The request-time protections (input guards, authentication, rate limits, idempotency) are steps of
the one request pipeline, which orders them in one place: :mod:`app.pipeline`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.security import inputs
    from app.security.logging import install_record_factory
    from app.security.sessions import CookieSessions
    from app.services.audit import install_listeners

    # Flask's defaults exist already (so no setdefault): harden the ones that are weak.
    if app.config.get("SESSION_COOKIE_NAME") == "session":
        app.config["SESSION_COOKIE_NAME"] = "docshelf_session"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.session_interface = CookieSessions()
    install_listeners()
    install_record_factory()
    inputs.init_app(app)
