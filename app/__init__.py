"""Docshelf: documentation builds and hosting behind a Read the Docs v3-style API.

``create_app(config=None, **overrides)`` builds the web application. Settings come from
``DOCSHELF_*`` environment variables (the table is in :mod:`app.config` and the README);
``overrides`` win over the environment, which is how tests configure an app.
"""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

from flask import Flask

from app.config import Config, database_url
from app.jsonprovider import OrjsonProvider


def _secret_key(data_dir: str) -> str:
    """Generate once and keep in the data directory, so restarts keep sessions and env vars readable."""
    path = os.path.join(data_dir, "secret.key")
    if os.path.exists(path):
        with open(path) as fh:
            return fh.read().strip()
    os.makedirs(data_dir, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def create_app(config: Config | None = None, **overrides: Any) -> Flask:
    config = config or Config.from_env()
    settings = config.as_flask()
    settings.update(overrides)

    data_dir = os.path.abspath(settings["DATA_DIR"])
    settings["DATA_DIR"] = data_dir
    if not settings.get("DATABASE_URL"):
        os.makedirs(data_dir, exist_ok=True)
        settings["DATABASE_URL"] = database_url(data_dir, None)
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _secret_key(data_dir)
    settings["STORAGE_DIR"] = os.path.abspath(
        settings.get("STORAGE_DIR") or os.path.join(data_dir, "storage")
    )

    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.config.update(settings)
    proxies = int(settings.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:  # only then may X-Forwarded-* decide the client IP (rate limits) and the host (links)
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings["DATABASE_URL"]),
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        MAX_CONTENT_LENGTH=settings.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024),
        API_TITLE="Docshelf API",
        API_VERSION="v3",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=None,  # the document is served by app.api.openapi_ui, an ApiView like the rest
    )
    from app.security.logging import install_record_factory

    install_record_factory()  # before any handler formats a record with %(request_id)s
    logging.basicConfig(
        level=app.config.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin otherwise
    app.url_map.strict_slashes = True

    from app import models  # noqa: F401  (registers the tables)
    from app.api import init_api
    from app.extensions import db, install_sqlite_pragmas, migrate

    install_sqlite_pragmas()
    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
    )
    from app import freshness, pipeline, security
    from app.serving import init_serving
    from app.web import bp as web
    from app.web.badge import bp as badge
    from app.web.dashboard import bp as dashboard

    security.init_app(app)
    init_api(app)
    init_serving(app)
    app.register_blueprint(web)
    app.register_blueprint(dashboard)
    app.register_blueprint(badge)
    pipeline.install(app)  # every request hook, in order (the docs-origin split stays first)
    with app.app_context():
        freshness.install(app, db.engine)
    return app


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # A busy timeout lets the API and the workers share the SQLite file under load.
        return {"connect_args": {"timeout": 30}}
    # pre_ping survives a dropped connection between requests; recycle avoids server-side idle kills.
    return {"pool_pre_ping": True, "pool_recycle": 1800}
