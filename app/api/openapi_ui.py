"""The OpenAPI document at /api/v3/openapi.json and a human page for it at /api/v3/docs/ (assets
served locally, no CDN).

Served by ApiViews like every other API route (public, no scope, never turned into the browsable
page), rather than flask-smorest's own documentation blueprint, so that every route under /api/
declares its policy the same way.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, current_app, json, render_template_string, send_from_directory

from app.api.views import ApiView

if TYPE_CHECKING:
    from app.api.base import Api

#: Where the app keeps the Api whose document this serves.
EXTENSION = "docshelf.api"

STATIC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "swagger-ui")

bp = Blueprint("openapi_ui", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Docshelf API</title>
<link rel="stylesheet" href="{{ url_for('openapi_ui.asset', filename='swagger-ui.css') }}"></head>
<body><div id="swagger-ui"></div>
<script src="{{ url_for('openapi_ui.asset', filename='swagger-ui-bundle.js') }}"></script>
<script>
window.ui = SwaggerUIBundle({url: "{{ url_for('openapi_ui.document') }}", dom_id: "#swagger-ui"});
</script>
</body></html>"""


class _Documentation(ApiView):
    scopes = {"get": None}
    anonymous = ("get",)
    browsable = False


class Document(_Documentation):
    def get(self) -> Response:
        """The OpenAPI document, as flask-smorest writes it"""
        spec = current_app.extensions[EXTENSION].spec.to_dict()
        body = json.dumps(spec, indent=2, sort_keys=False)
        return current_app.response_class(body, mimetype="application/json")


class Page(_Documentation):
    def get(self) -> str:
        return render_template_string(PAGE)


class Asset(_Documentation):
    def get(self, filename: str) -> Response:
        return send_from_directory(STATIC, filename, max_age=86400)


bp.add_url_rule("/api/v3/openapi.json", view_func=Document.as_view("document"))
bp.add_url_rule("/api/v3/docs/", view_func=Page.as_view("page"))
bp.add_url_rule("/api/v3/docs/assets/<path:filename>", view_func=Asset.as_view("asset"))


def init_app(app: Flask, api: Api) -> None:
    app.extensions[EXTENSION] = api  # handed over, not imported: app.api imports this module
    app.register_blueprint(bp)
