"""A private pull-request preview in Chromium: the reader signs in through the docs origin's flow (the
app origin's login, then a ticket turned into the preview host's own cookie) and reads the preview;
the PR's own script, running in that signed-in browser, reads nothing else through the preview host's
``/_/`` routes: not the project's private ``latest`` (embed, addons, search, downloads, doc_diff) although
its reader may read it on the docs origin."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.services.accounts import create_user
from app.services.builds import trigger_build
from tests.api.test_pull_requests import pr_commit, pr_payload, project, repo, version
from tests.api.test_webhooks_incoming import github, integration
from tests.browser import allow_host, docs_origin, open_page, screenshot, serve
from tests.workers.conftest import SPHINX_CONF, work

__all__ = ["project", "repo"]

PASSWORD = "correct horse battery staple"

#: The PR's page: its script tries the preview host's routes with the reader's cookie (same origin).
HOSTILE = """Private preview
===============

Only for readers of the project.

.. raw:: html

   <script>
   (async () => {
     const DOCS = "%(docs)s";
     const base = DOCS + "/docs/pip/en/latest/";
     const out = {};
     async function attempt(name, url) {
       try {
         const answer = await fetch(url, {credentials: "include"});
         out[name] = answer.status + " " + (await answer.text()).slice(0, 4000);
       } catch (e) { out[name] = "blocked: " + e; }
     }
     await attempt("embed", "/_/api/v3/embed/?url=" + encodeURIComponent(base + "index.html"));
     await attempt("addons", "/_/addons/?project-slug=pip&version-slug=latest");
     await attempt("search", "/_/api/v3/search/?q=" + encodeURIComponent("project:pip Published"));
     await attempt("download", "/_/downloads/pip/en/latest/htmlzip/");
     await attempt("diff", "/_/doc-diff/?filename=index.html");
     await attempt("docs-origin", base + "index.html");
     document.title = "ATTACK " + JSON.stringify(out);
   })();
   </script>
"""


@pytest.fixture
def live(app: Flask, client: Any, project: Any, repo: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", "previews.localhost")
    reader = create_user("reader", password=PASSWORD)
    project.users.append(reader)
    project.external_builds_privacy_level = "private"
    db.session.commit()
    base = version("latest")
    assert base is not None
    trigger_build(project, base)
    work()
    with serve(app, "private-preview-live-server") as url:
        sha = pr_commit(repo, 7, {"docs/conf.py": SPHINX_CONF, "docs/index.rst": HOSTILE % {
            "docs": docs_origin(url)}})
        opened = github(client, integration(project), "pull_request", pr_payload(7, "opened", sha))
        assert opened.status_code == 200
        work()
        base = version("latest")
        assert base is not None and base.built and version("7").built
        base.privacy_level = "private"  # the published docs: private, readable by "reader"
        db.session.commit()
        yield url


def test_sign_in_on_a_private_preview_and_nothing_else_leaks_to_its_script(live: str) -> None:
    server = live
    port = server.rsplit(":", 1)[1]
    preview = f"http://pip--7.previews.localhost:{port}"
    with open_page(server) as page:
        allow_host(page, preview)
        page.goto(preview + "/")  # no credential on this host: the app origin asks to log in
        page.wait_for_url(f"{server}/login**")
        page.fill("#username", "reader")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(preview + "/")  # back through the handover, on the preview's own host
        assert "Only for readers of the project." in page.content()
        page.wait_for_function("document.title.startsWith('ATTACK ')")
        out = json.loads(page.title()[len("ATTACK "):])
        screenshot(page, "private-preview-after-login")
        for name in ("embed", "addons", "download", "diff"):
            assert out[name].split(" ", 1)[0] in ("401", "404"), (name, out[name][:300])
        assert out["search"].startswith("200 ") and json.loads(out["search"][4:])["count"] == 0
        assert out["docs-origin"].startswith("blocked")  # another origin: the browser refuses the read
        assert all("Published docs" not in answer for answer in out.values()), out
        # the same reader does read latest on the docs origin: what was refused above was the host's scoping
        page.goto(docs_origin(server) + "/docs/pip/en/latest/")
        page.wait_for_url(docs_origin(server) + "/docs/pip/en/latest/")
        assert "Published docs" in page.content()
