"""A logged-in admin opens a hostile project's docs in Chromium: its script can read nothing of the app.

The project's ``index.rst`` carries a ``raw`` HTML script that, from the admin's browser, tries what an
attacker wants: list projects and tokens through the API, read the browsable API's CSRF token from an
iframe, create a token. The docs come from their own origin (``localhost:<port>``, the app being
``127.0.0.1:<port>``), so every attempt is refused by the browser or by the API, and no token exists
afterwards. The page reports each attempt in its title; the test also checks the database.
"""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken
from app.services.accounts import create_user
from tests import factories
from tests.browser import docs_origin, open_page, screenshot, serve
from tests.workers.conftest import Repo, fresh, sphinx_files, work

PASSWORD = "correct horse battery staple"

SCRIPT = """
.. raw:: html

   <script>
   (async () => {
     const APP = "%(app)s";
     const out = {};
     async function attempt(name, fn) {
       try { out[name] = "READ " + String(await fn()).slice(0, 80); }
       catch (e) { out[name] = "blocked: " + e; }
     }
     await attempt("projects", async () => (await fetch(APP + "/api/v3/projects/",
                                                        {credentials: "include"})).text());
     await attempt("tokens", async () => (await fetch(APP + "/api/v3/tokens/",
                                                      {credentials: "include"})).text());
     await attempt("create", async () => (await fetch(APP + "/api/v3/tokens/", {
         method: "POST", credentials: "include", headers: {"Content-Type": "application/json"},
         body: JSON.stringify({name: "pwned"})})).status);
     await attempt("simple-post", async () => (await fetch(APP + "/api/v3/tokens/", {
         method: "POST", credentials: "include", mode: "no-cors",
         headers: {"Content-Type": "text/plain"}, body: JSON.stringify({name: "pwned-simple"})})).type);
     await attempt("iframe", () => new Promise((resolve, reject) => {
       const frame = document.createElement("iframe");
       frame.src = APP + "/api/v3/";
       frame.onload = () => { try { resolve(frame.contentDocument.body.innerHTML); }
                              catch (e) { reject(e); } };
       document.body.appendChild(frame);
     }));
     await attempt("cookie", async () => document.cookie || (() => { throw new Error("no cookie"); })());
     document.title = "ATTACK " + JSON.stringify(out);
   })();
   </script>
"""


def test_a_hostile_docs_page_reads_nothing_in_an_admins_browser(app, tmp_path):
    admin = create_user("root", password=PASSWORD, role="admin")
    with serve(app, "docs-origin-live-server") as app_url:
        docs_url = docs_origin(app_url)
        repo = Repo(tmp_path / "hostile")
        files = sphinx_files("Hostile")
        files["docs/index.rst"] = "Hostile\n=======\n" + SCRIPT % {"app": app_url}
        repo.commit(files, "hostile")
        project = factories.ProjectFactory(name="Hostile", slug="hostile", repository_url=repo.url,
                                           maintainers=[factories.UserFactory(username="mallory")])
        from app.services.builds import trigger_build

        build = trigger_build(project, project.versions[0])
        work()
        assert fresh(build.id).success, fresh(build.id).error
        tokens_before = db.session.scalar(select(func.count()).select_from(ApiToken))

        with open_page(app_url) as page:
            page.goto(f"{app_url}/login?next=/api/v3/")
            page.fill("#username", "root")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{app_url}/api/v3/")
            assert "Signed in as root" in page.locator(".who").inner_text()  # logged in on the app
            page.goto(f"{app_url}/docs/hostile/en/latest/")  # redirected to the docs origin
            assert page.url.startswith(f"{docs_url}/docs/hostile/")
            page.wait_for_function("document.title.startsWith('ATTACK ')", timeout=20_000)
            screenshot(page, "hostile-docs-page")
            results = json.loads(page.title()[len("ATTACK "):])
    assert set(results) == {"projects", "tokens", "create", "simple-post", "iframe", "cookie"}, results
    for name in ("projects", "tokens", "create", "iframe", "cookie"):
        assert results[name].startswith("blocked"), (name, results[name])
    assert results["simple-post"] in ("READ opaque", ) or results["simple-post"].startswith("blocked")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == tokens_before
    assert db.session.scalar(select(ApiToken).where(ApiToken.name.like("pwned%"))) is None
    assert admin.is_admin if hasattr(admin, "is_admin") else admin.role == "admin"


def test_private_docs_in_the_browser_after_login_and_not_after_logout(app, sites):
    """A maintainer reads private docs on the docs origin after logging in on the app origin; after
    logging out there, the same docs page sends them back to log in."""
    reader = create_user("reader", password=PASSWORD)
    sites.sphinx.users.append(reader)
    sites.sphinx.privacy_level = "private"
    db.session.commit()
    page_path = "/docs/shelf-sphinx/en/latest/guide.html"
    with serve(app, "private-docs-live-server") as app_url, open_page(app_url) as page:
        docs_url = docs_origin(app_url)
        page.goto(docs_url + page_path)  # no credential: the app origin asks to log in
        page.wait_for_url(f"{app_url}/login**")
        page.fill("#username", "reader")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(docs_url + page_path)  # back through the handover, on the docs origin
        assert "The guide of Main branch" in page.content()
        screenshot(page, "private-docs-after-login")
        page.goto(f"{app_url}/logout")
        page.click("button[type=submit]")
        page.wait_for_url(f"{app_url}/login**")
        page.goto(docs_url + page_path)
        page.wait_for_url(f"{app_url}/login**")  # the docs credential ended with the session
        assert "The guide of Main branch" not in page.content()
