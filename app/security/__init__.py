"""Accounts and protection wired into the app: sessions, input guards, rate limits, idempotency, audit.

Hooks run in registration order (``after_request`` in reverse), which matters here:
authentication (``app.api.base``) → input guards → rate limits → idempotency (a replay is counted
against the caller's rate limit, and only a request that passed the guards is recorded).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.security import idempotency, inputs, ratelimit
    from app.security.logging import install_record_factory
    from app.services.audit import install_listeners

    # Flask's defaults exist already (so no setdefault): harden the ones that are weak.
    if app.config.get("SESSION_COOKIE_NAME") == "session":
        app.config["SESSION_COOKIE_NAME"] = "docshelf_session"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    from app.security.sessions import CookieSessions

    app.session_interface = CookieSessions()
    install_listeners()
    install_record_factory()
    inputs.init_app(app)
    ratelimit.init_app(app)
    app.before_request(idempotency.before_request)
    app.after_request(idempotency.after_request)

    from app.web import bp as web
    from app.web.dashboard import bp as dashboard

    app.register_blueprint(web)
    app.register_blueprint(dashboard)
