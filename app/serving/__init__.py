"""Docs hosting: built sites, redirects, downloads, sitemaps and the ``/_/addons/`` flyout data.

``init_serving(app)`` registers it all. Path-based routes live under ``DOCS_PREFIX``; ``/_/`` routes
are at the host's root (Read the Docs' layout); with ``DOCS_DOMAIN`` set, the request pipeline's docs
chain (:mod:`app.pipeline`) answers every other path of ``<project>.<DOCS_DOMAIN>`` hosts from that
project's docs (:func:`app.serving.docs.host_dispatch`).
"""

from __future__ import annotations

from flask import Flask


def init_serving(app: Flask) -> None:
    from app.serving import (
        addons,
        doc_diff,
        docs,
        docs_auth,
        downloads,
        embed,
        origin,
        responses,
        search,
        sitemap,
    )
    from app.storage import StorageUnavailable
    from app.urls import docs_prefix

    with app.app_context():
        prefix = docs_prefix()
    app.register_blueprint(sitemap.bp, url_prefix=prefix or None)
    app.register_blueprint(docs.bp, url_prefix=prefix or None)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(addons.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(doc_diff.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(docs_auth.app_bp)
    app.register_blueprint(docs_auth.docs_bp)
    app.register_error_handler(StorageUnavailable, responses.unavailable)
    origin.init_app(app)  # the pipeline splits the origins first: nothing of the app runs for the docs
