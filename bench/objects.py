"""Figure 10: object storage against the local directory, in the same run.

An S3 server is started on 127.0.0.1 (moto's standalone server, the tests' S3 server; MinIO or a cloud
bucket answer faster, so the ratios are an upper bound of what the S3 path costs). Two measurements:

- serving: the same one-page Sphinx site published into both stores, served by two Docshelf gunicorns
  that differ only in ``DOCSHELF_STORAGE_URL``; full responses and revalidations (``If-None-Match``).
  From object storage each request resolves the version's pointer object and the page's validators
  (two round trips) before the body is streamed; a 304 needs no body.
- publishing: a generated 500-page site (pages, a stylesheet, a script, an image each tenth page)
  published by ``workers.publish.publish`` into each store, median of ``--runs`` runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

from bench import report, serving
from bench.harness import BIN, BenchEnv
from bench.load import generator_name, measure
from bench.serving import DOCS_HOST, docs_etag

PROJECT = "objsite"
PAGES = 500
KEY, SECRET = "bench", "bench-secret"
#: The docs origin of both servers: requests name it in their Host header.


@contextlib.contextmanager
def s3_server(root: str) -> Iterator[str]:
    """moto's S3 server on a free 127.0.0.1 port for the figure's duration."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    binary = shutil.which("moto_server", path=BIN) or shutil.which("moto_server")
    if binary is None:
        raise RuntimeError("moto_server is missing: pip install 'moto[server]' (the test extras)")
    with open(os.path.join(root, "moto.log"), "wb") as log:
        proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()  # noqa: S310 - loopback
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def settings(endpoint: str) -> dict[str, str]:
    return {"STORAGE_URL": "s3://docshelf-bench/sites", "STORAGE_ENDPOINT_URL": endpoint,
            "STORAGE_REGION": "us-east-1", "STORAGE_ACCESS_KEY_ID": KEY, "STORAGE_SECRET_ACCESS_KEY": SECRET}


def make_site(html: str, pages: int = PAGES) -> None:
    """A site of ``pages`` HTML pages of a few KiB, with the assets a theme brings."""
    os.makedirs(os.path.join(html, "_static"), exist_ok=True)
    with open(os.path.join(html, "_static", "theme.css"), "w") as fh:
        fh.write("body { font-family: sans-serif }\n" * 400)
    with open(os.path.join(html, "_static", "theme.js"), "w") as fh:
        fh.write("console.log('docs');\n" * 400)
    for n in range(pages):
        folder = os.path.join(html, f"part{n // 50}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"page{n}.html"), "w") as fh:
            body = "<p>Some documentation text.</p>" * 100
            fh.write(f"<html><body><h1>Page {n}</h1>{body}</body></html>")
        if n % 10 == 0:
            with open(os.path.join(folder, f"figure{n}.png"), "wb") as fh:
                fh.write(os.urandom(8192))


def _publish_seconds(app: Any, html: str, root: str, runs: int, first_build: int) -> list[float]:
    from workers import publish

    times = []
    with app.app_context():
        for n in range(runs):
            started = time.perf_counter()
            publish.publish("big", "latest", html, {}, first_build + n, root=root)
            times.append(time.perf_counter() - started)
    return times


def run(env: BenchEnv, options: Any) -> dict[str, Any]:
    import boto3

    from app.extensions import db
    from app.models import Project, Version
    from workers import publish

    work = os.path.join(env.root, "objects")
    os.makedirs(work)
    site_html = os.path.join(work, "site", "html")
    serving.build_site(site_html, work)
    with s3_server(work) as endpoint:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY,
                     aws_secret_access_key=SECRET).create_bucket(Bucket="docshelf-bench")
        s3 = settings(endpoint)
        local_app, s3_app = env.app(), env.app()
        s3_app.config.update(s3)
        with local_app.app_context():
            project = Project(name="Objects", slug=PROJECT, repository_url="https://example.com/o.git",
                              tags=[])
            db.session.add(project)
            db.session.add(Version(project=project, slug="latest", verbose_name="latest", identifier="main",
                                   active=True, built=True, machine=True, built_formats=[]))
            db.session.commit()
            publish.publish(PROJECT, "latest", site_html, {}, 1, root=work)
            db.session.remove()
        with s3_app.app_context():
            publish.publish(PROJECT, "latest", site_html, {}, 1, root=work)
        origin = {"DOCSHELF_DOCS_URL": f"http://{DOCS_HOST}"}
        local = env.gunicorn("docshelf-local", "app.wsgi:app", origin, wait=False)
        bucket = env.gunicorn("docshelf-s3", "app.wsgi:app",
                              {**origin, **{f"DOCSHELF_{k}": v for k, v in s3.items()}}, wait=False)
        env.ready(local)
        env.ready(bucket)
        path = f"/docs/{PROJECT}/en/latest/"
        urls = {"local": local.url + path, "s3": bucket.url + path}
        etags = {side: docs_etag(url, {"Host": DOCS_HOST}) for side, url in urls.items()}
        results = {}
        for side, url in urls.items():
            host = {"Host": DOCS_HOST}
            results[f"{side} 200"] = measure(url, options.seconds, host, options.generator)
            results[f"{side} 304"] = measure(url, options.seconds, {**host, "If-None-Match": etags[side]},
                                             options.generator)
        for server in (local, bucket):
            env.stop(server.process)
        big = os.path.join(work, "big", "html")
        make_site(big)
        runs = max(1, int(getattr(options, "runs", 3)))
        local_times = _publish_seconds(local_app, big, work, runs, 10)
        s3_times = _publish_seconds(s3_app, big, work, runs, 100)
        for app in (local_app, s3_app):
            with app.app_context():
                db.engine.dispose()
    rows = []
    for case in ("200", "304"):
        on_s3, on_disk = results[f"s3 {case}"], results[f"local {case}"]
        rows.append(report.row(f"docs page {case} from S3 req/s", on_s3.rps, on_disk.rps, "req/s"))
        rows.append(report.row(f"docs page {case} from S3 p50", on_s3.p50_ms, on_disk.p50_ms, "ms"))
    rows.append(report.row(f"publish {PAGES} pages to S3", statistics.median(s3_times),
                           statistics.median(local_times), "s"))
    return report.figure(
        10, "Object storage vs local directory", rows,
        results={k: v.as_dict() for k, v in results.items()}, errors=sum(r.errors for r in results.values()),
        publish_seconds={"s3": s3_times, "local": local_times},
        note=f"baseline = the local directory, same run; S3 = moto's server on 127.0.0.1 (slower than MinIO "
             f"or a cloud bucket); gunicorn with 2 sync workers each, {generator_name(options.generator)}; "
             f"publish: {PAGES} pages + assets, median of {runs} runs.",
    )
