"""A human page for the OpenAPI document at /api/v3/docs/, with its assets served locally (no CDN)."""

from __future__ import annotations

import os

from flask import Blueprint, Flask, Response, render_template_string, send_from_directory

STATIC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "swagger-ui")

bp = Blueprint("openapi_ui", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Docshelf API</title>
<link rel="stylesheet" href="{{ url_for('openapi_ui.asset', filename='swagger-ui.css') }}"></head>
<body><div id="swagger-ui"></div>
<script src="{{ url_for('openapi_ui.asset', filename='swagger-ui-bundle.js') }}"></script>
<script>
window.ui = SwaggerUIBundle({url: "{{ url_for('api-docs.openapi_json') }}", dom_id: "#swagger-ui"});
</script>
</body></html>"""


@bp.route("/api/v3/docs/")
def page() -> str:
    return render_template_string(PAGE)


@bp.route("/api/v3/docs/assets/<path:filename>")
def asset(filename: str) -> Response:
    return send_from_directory(STATIC, filename, max_age=86400)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
