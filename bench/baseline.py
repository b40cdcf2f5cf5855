"""The baseline apps: bare Flask under the same gunicorn settings as Docshelf.

``bench.baseline:create_app()`` serves, at the same paths as Docshelf, pre-rendered bodies read from the
JSON file named by ``BENCH_BASELINE_BODIES`` (``{path: body}``, each body captured from Docshelf itself,
so sizes match byte for byte), and ``send_file`` of the file named by ``BENCH_BASELINE_FILE`` at
``/file`` (the docs-serving baseline). It does nothing else: no database, no auth, no schema; the
difference from Docshelf is everything Docshelf does per request.
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response, request, send_file


def create_app() -> Flask:
    app = Flask("bench_baseline")
    bodies: dict[str, str] = {}
    page = os.environ.get("BENCH_BASELINE_FILE")

    @app.before_request
    def load_bodies() -> None:
        # Read on first use: the bench starts this app while Docshelf is still answering the requests
        # whose bodies it will serve. Warm-up requests absorb this one-time read.
        if not bodies and os.environ.get("BENCH_BASELINE_BODIES"):
            with open(os.environ["BENCH_BASELINE_BODIES"]) as fh:
                bodies.update(json.load(fh))

    @app.get("/file")
    def file() -> Response:
        assert page is not None
        return send_file(page, conditional=True, etag=True)

    @app.route("/<path:path>", methods=["GET", "POST"])
    def body(path: str) -> Response:
        key = request.full_path.rstrip("?")
        text = bodies.get(key)
        if text is None:
            return Response("{}", status=404, mimetype="application/json")
        return Response(text, mimetype="application/json")

    return app
