"""A new user's walk through the dashboard in headless Chromium, over real HTTP with a real worker.

From ``/``: log in, import a project with the generated form, watch its first build stream to the end
on the build page (the page never reloads), open the built docs, trigger a build from the project page
and read why it failed, then add a redirect with its form (a from_url that can never match is refused
next to its field first). A real ``docshelf worker`` process builds; requests to anything but the test
server are aborted. Every page is kept as a screenshot under ``test-artifacts/`` and checked for what
it says, not only for its status.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.services.accounts import create_user
from tests.browser import _loopback_only, docs_origin, open_page, screenshot, serve
from tests.workers.conftest import Repo, sphinx_files, worker_process  # noqa: F401  (a fixture)

PASSWORD = "correct horse battery"
BUILD_TIMEOUT_MS = 180_000


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    with serve(app, "walk-live-server") as url:
        yield url


def _watch_build_to_the_end(page: Any) -> None:
    """Stay on the build page until its badge says finished: the log grows by polling, no reload."""
    page.evaluate("window.__notReloaded = true")
    page.wait_for_selector("#build-state.state-finished", timeout=BUILD_TIMEOUT_MS)
    page.wait_for_selector("#log[data-final='true']")
    assert page.evaluate("window.__notReloaded === true"), "the build page reloaded"
    assert page.locator("#log-status").inner_text() == "complete"


def test_a_new_user_walks_the_dashboard(app, live_url, tmp_path, worker_process):  # noqa: F811
    create_user("alice", password=PASSWORD)
    repo = Repo(tmp_path / "walk")
    repo.commit(sphinx_files("Walk Docs"), "first")
    worker_process("--housekeeping-interval", "60")

    with open_page(live_url) as page:
        # The start page leads somewhere: projects, the API, its reference, a login.
        page.goto(f"{live_url}/")
        assert page.locator("h1").inner_text() == "Docshelf"
        assert page.locator("#to-projects").get_attribute("href") == "/api/v3/projects/"
        assert page.locator("#to-api-docs").get_attribute("href") == "/api/v3/docs/"
        screenshot(page, "walk-01-landing")

        page.click("#landing-login")
        assert page.locator("h1").inner_text() == "Log in to Docshelf"
        screenshot(page, "walk-02-login")
        page.fill("#username", "alice")
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_url}/api/v3/projects/")
        assert "Signed in as alice" in page.locator(".who").inner_text()
        assert page.locator("#empty").inner_text() == "Nothing here yet."
        assert page.locator("#form-post legend").inner_text() == "Import a project"
        screenshot(page, "walk-03-projects-empty")

        # Import from the form generated from ProjectCreate: lands on the new project's page.
        page.fill("#f-name", "Walk Docs")
        page.fill("#f-repository-url", repo.url)
        page.select_option("#f-language", "en")
        page.click("#form-post button[type=submit]")
        page.wait_for_url(f"{live_url}/api/v3/projects/walk-docs/")
        assert page.locator("h1").inner_text() == "Walk Docs"
        assert page.locator("#versions").inner_text().count("latest") >= 1
        first_build = page.locator("#latest-builds a").first
        assert first_build.inner_text().startswith("#")  # the import queued the default version's build
        screenshot(page, "walk-04-project")

        first_build.click()
        page.wait_for_selector("#log")
        assert "walk-docs/latest" in page.locator("#log").inner_text()  # the log's heading, server-rendered
        _watch_build_to_the_end(page)
        assert page.locator("#build-success").inner_text() == "passed"
        log = page.locator("#log").inner_text()
        assert "Build succeeded." in log and "sphinx" in log.lower()
        assert page.locator("#build-duration").inner_text().endswith(" s")
        assert page.locator("#build-error-box").is_hidden() and page.locator("#cancel-build").is_hidden()
        assert page.locator("h1").inner_text().startswith("Build #")
        screenshot(page, "walk-05-build-passed")

        # The built docs, from the docs origin the project page links to.
        page.click("a.pill[href$='/projects/walk-docs/']")
        page.wait_for_url(f"{live_url}/api/v3/projects/walk-docs/")
        docs = page.locator("#docs-link").get_attribute("href")
        assert docs.startswith(docs_origin(live_url))
        page.click("#docs-link")
        page.wait_for_url(docs + "**")
        assert "Welcome to Walk Docs." in page.locator("body").inner_text()
        screenshot(page, "walk-06-docs")

        # A broken commit, built from the project page's trigger: the build page says why it failed.
        repo.commit({"docs/conf.py": "raise RuntimeError('conf.py is broken on purpose')\n"}, "break")
        page.goto(f"{live_url}/api/v3/projects/walk-docs/")
        page.click("#versions form.trigger button[data-version='latest']")
        page.wait_for_url(f"{live_url}/api/v3/projects/walk-docs/builds/*/")
        failed_build_url = page.url
        _watch_build_to_the_end(page)
        assert page.locator("#build-success").inner_text() == "failed"
        cause = page.locator("#build-error").inner_text()
        assert "failed" in cause and "conf.py is broken on purpose" in cause
        box = page.locator("#build-error").bounding_box()
        assert box is not None and box["width"] <= 1200  # a long error wraps inside the page
        assert "conf.py is broken on purpose" in page.locator("#log").inner_text()
        screenshot(page, "walk-07-build-failed")
        page.click("#commands-link")
        page.wait_for_url(failed_build_url + "commands/")
        failing = page.locator("#commands details[open]")
        assert failing.count() == 1 and "sphinx" in failing.locator("summary").inner_text()
        assert "conf.py is broken on purpose" in failing.locator("pre").inner_text()
        screenshot(page, "walk-07b-build-commands")

        # A redirect from its form: a from_url that repeats the served prefix is refused at its field.
        page.goto(f"{live_url}/api/v3/projects/walk-docs/")
        page.click("a.pill[href$='/projects/walk-docs/redirects/']")
        page.wait_for_url(f"{live_url}/api/v3/projects/walk-docs/redirects/")
        page.select_option("#f-type", "exact")
        page.fill("#f-from_url", "/docs/walk-docs/en/latest/old.html")
        page.fill("#f-to_url", "/new.html")
        page.click("#form-post button[type=submit]")
        refusal = page.locator(".field[data-field='from_url'] .field-error")
        refusal.wait_for(state="visible")
        assert "/old.html" in refusal.inner_text()
        assert page.locator("#form-post .form-error").is_hidden()  # said once, at its field
        assert page.url == f"{live_url}/api/v3/projects/walk-docs/redirects/"
        screenshot(page, "walk-08-redirect-refused")
        page.fill("#f-from_url", "/old.html")
        page.click("#form-post button[type=submit]")
        page.wait_for_url(f"{live_url}/api/v3/projects/walk-docs/redirects/*/")
        pk = page.url.rstrip("/").rsplit("/", 1)[-1]  # ids are the database's (PostgreSQL never reuses one)
        assert page.locator("h1").inner_text() == f"redirects #{pk}"
        fields = page.locator("#fields").inner_text()
        assert "/old.html" in fields and "/new.html" in fields and "exact" in fields
        assert "enabled yes" in " ".join(fields.split())  # untouched, the server's default holds
        screenshot(page, "walk-09-redirect-created")

        page.goto(f"{live_url}/api/v3/projects/walk-docs/redirects/")
        assert page.locator("#results tbody tr").count() == 1
        screenshot(page, "walk-10-redirects")

        # An edit form starts from the version's values and sends only the change.
        page.goto(f"{live_url}/api/v3/projects/walk-docs/versions/latest/")
        assert page.locator("#e-hidden").input_value() == "false"
        page.select_option("#e-hidden", "true")
        with page.expect_navigation():  # a 2xx reloads the page, which shows the stored values
            page.click("#form-patch button[type=submit]")
        assert page.locator("#e-hidden").input_value() == "true"
        assert "hidden yes" in " ".join(page.locator("#fields").inner_text().split())
        screenshot(page, "walk-12-version-edited")

        page.goto(f"{live_url}/no/such/page")
        assert page.locator("h1").inner_text() == "Page not found"
        assert page.locator("#detail").inner_text() != ""
        assert "Signed in as alice" in page.locator(".who").inner_text()
        screenshot(page, "walk-11-not-found")

        page.goto(f"{live_url}/device")
        assert page.locator("h1").inner_text() == "Connect a device"
        assert page.locator("header.bar .brand").is_visible()  # the same look as every page
        screenshot(page, "walk-13-device")

        # Without JavaScript the pages still read: the failed build's cause and log are in the HTML.
        quiet = page.context.browser.new_context(java_script_enabled=False)
        try:
            plain = quiet.new_page()
            plain.route("**/*", lambda route: _loopback_only(route, live_url, docs_origin(live_url)))
            plain.goto(failed_build_url)
            assert "conf.py is broken on purpose" in plain.locator("#build-error").inner_text()
            assert "conf.py is broken on purpose" in plain.locator("#log").inner_text()
            screenshot(plain, "walk-14-build-without-javascript")
        finally:
            quiet.close()
