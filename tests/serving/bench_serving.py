"""Docs-serving throughput next to a bare Flask ``send_file`` endpoint serving the same file.

``python -m tests.serving.bench_serving [--requests N]`` builds a small Sphinx site for real into a
temporary storage directory, then times the same page through Docshelf's docs route (project and
version lookups, access checks, redirect rules, path checks, validators) and through a one-line
Flask app, both in-process through the WSGI test client, so the difference is the serving logic.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from flask import Flask, Response, send_file
from flask.testing import FlaskClient


def _build_site(html_dir: str, workdir: str) -> None:
    src = os.path.join(workdir, "src")
    os.makedirs(src)
    with open(os.path.join(src, "conf.py"), "w") as fh:
        fh.write('project = "Bench"\n')
    with open(os.path.join(src, "index.rst"), "w") as fh:
        fh.write("Bench\n=====\n\n" + "Some text to serve. " * 200 + "\n")
    cmd = [sys.executable, "-m", "sphinx", "-q", "-b", "html", src, html_dir]
    subprocess.run(cmd, check=True, capture_output=True)


def _rate(client: FlaskClient, url: str, requests: int, headers: dict[str, str] | None = None) -> float:
    status = 304 if headers else 200
    for _ in range(20):  # warm-up
        assert client.get(url, headers=headers).status_code == status
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get(url, headers=headers)
        assert response.status_code == status, response.status_code
        response.close()
    return requests / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args(argv)

    from app import create_app
    from app.extensions import db
    from app.models import Project, Version

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(DATA_DIR=tmp, SECRET_KEY="bench", RATE_LIMITS_ENABLED=False, LOG_LEVEL="WARNING")
        html = os.path.join(app.config["STORAGE_DIR"], "bench", "latest", "html")
        _build_site(html, tmp)
        page = os.path.join(html, "index.html")
        with app.app_context():
            db.create_all()
            project = Project(name="Bench", slug="bench", repository_url="https://example.com/bench.git")
            db.session.add(project)
            db.session.add(
                Version(project=project, slug="latest", verbose_name="latest", active=True, built=True)
            )
            db.session.commit()

        bare = Flask("bare")

        @bare.get("/file")
        def file() -> Response:
            return send_file(page, conditional=True, etag=True)

        cases: list[tuple[str, Callable[[], float]]] = [
            ("bare Flask send_file", lambda: _rate(bare.test_client(), "/file", args.requests)),
            ("Docshelf docs page", lambda: _rate(app.test_client(), "/docs/bench/en/latest/", args.requests)),
        ]
        etag = app.test_client().get("/docs/bench/en/latest/").headers["ETag"]
        cases.append(
            (
                "Docshelf docs page, 304",
                lambda: _rate(
                    app.test_client(), "/docs/bench/en/latest/", args.requests, {"If-None-Match": etag}
                ),
            )
        )
        size = os.path.getsize(page)
        print(f"docs serving: {args.requests} requests per case, {size} byte page, in-process WSGI")
        results = {name: run() for name, run in cases}
        baseline = results["bare Flask send_file"]
        for name, rate in results.items():
            print(f"  {name:<26} {rate:8.0f} req/s  ({rate / baseline:5.2f}x the bare endpoint)")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
