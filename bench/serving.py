"""Figure 5: docs serving against a bare Flask ``send_file`` endpoint serving the same file.

A small Sphinx site is built for real into the bench's storage directory and served two ways under the
same gunicorn settings: through Docshelf's docs route (project and version lookups, access checks,
redirect rules, path checks, validators, the flyout script tag) and through the baseline app's one-line
``send_file`` route. Both are measured for full responses and for revalidations (``If-None-Match`` →
304), the case a CDN or browser cache mostly sends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from typing import Any

from bench import report
from bench.harness import BenchEnv
from bench.load import generator_name, measure

PROJECT = "site"


def build_site(html_dir: str, workdir: str) -> str:
    """Build a one-page Sphinx site into ``html_dir``; return its ``index.html``."""
    src = os.path.join(workdir, "site-src")
    os.makedirs(src)
    with open(os.path.join(src, "conf.py"), "w") as fh:
        fh.write('project = "Bench"\n')
    with open(os.path.join(src, "index.rst"), "w") as fh:
        fh.write("Bench\n=====\n\n" + "Some text to serve. " * 200 + "\n")
    subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", src, html_dir], check=True,
                   capture_output=True)
    return os.path.join(html_dir, "index.html")


#: The docs origin's host name (DOCSHELF_DOCS_URL): built docs are served there only, never on the
#: app's origin, so the load is sent to Docshelf's port with this Host header.
DOCS_HOST = "docs.bench.test"


def docs_etag(url: str, headers: dict[str, str] | None = None) -> str:
    """The ETag of a 200 answer (the figure then measures revalidations with it)."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
        assert response.status == 200, response.status
        return str(response.headers["ETag"])


def run(env: BenchEnv, options: Any) -> dict[str, Any]:
    from app.extensions import db
    from app.models import Project, Version

    app = env.app()
    html = os.path.join(app.config["STORAGE_DIR"], PROJECT, "latest", "html")
    page = build_site(html, env.root)
    with app.app_context():
        project = Project(name="Site", slug=PROJECT, repository_url="https://example.com/site.git", tags=[])
        db.session.add(project)
        db.session.add(Version(project=project, slug="latest", verbose_name="latest", identifier="main",
                               active=True, built=True, machine=True, built_formats=[]))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    docshelf = env.gunicorn("docshelf-docs", "app.wsgi:app", {"DOCSHELF_DOCS_URL": f"http://{DOCS_HOST}"})
    baseline = env.gunicorn("baseline-file", "bench.baseline:create_app()", {"BENCH_BASELINE_FILE": page})
    docs_url, file_url = f"{docshelf.url}/docs/{PROJECT}/en/latest/", f"{baseline.url}/file"
    host = {"Host": DOCS_HOST}
    docs_tag, file_tag = docs_etag(docs_url, host), docs_etag(file_url)
    run_ = {
        "docs 200": measure(docs_url, options.seconds, host, options.generator),
        "file 200": measure(file_url, options.seconds, {}, options.generator),
        "docs 304": measure(docs_url, options.seconds, {**host, "If-None-Match": docs_tag},
                            options.generator),
        "file 304": measure(file_url, options.seconds, {"If-None-Match": file_tag}, options.generator),
    }
    for server in (docshelf, baseline):
        env.stop(server.process)
    rows = []
    for case in ("200", "304"):
        docs, file = run_[f"docs {case}"], run_[f"file {case}"]
        rows.append(report.row(f"docs page {case} req/s", docs.rps, file.rps, "req/s"))
        rows.append(report.row(f"docs page {case} p50", docs.p50_ms, file.p50_ms, "ms"))
    return report.figure(
        5, "Docs serving vs bare send_file", rows, page_bytes=os.path.getsize(page),
        results={k: v.as_dict() for k, v in run_.items()}, errors=sum(r.errors for r in run_.values()),
        note=f"a {os.path.getsize(page):,}-byte Sphinx page, gunicorn with 2 sync workers each, "
             f"{generator_name(options.generator)}; 304 = revalidation with If-None-Match.",
    )
