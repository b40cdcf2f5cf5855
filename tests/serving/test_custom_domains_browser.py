"""Headless Chromium reading docs on a project's custom domain, against a real server on 127.0.0.1.

Chromium resolves the custom domain to the test server (``--host-resolver-rules``) and may talk to
nothing else. The page's client script asks the domain's own ``/_/addons/``, and every link it draws
(the old-version banner, the flyout's versions and downloads) stays on the domain the reader is on.
"""

from __future__ import annotations

from typing import Any

from app.extensions import db
from tests.browser import ARGS, CHROMIUM, require_browser, screenshot, serve

DOMAIN = "docs.sphinx.example"


def test_the_flyout_and_banner_stay_on_the_custom_domain(app, client, sites: Any, owner_headers):
    added = client.post("/api/v3/projects/shelf-sphinx/domains/", headers=owner_headers,
                        json={"domain": DOMAIN, "canonical": True, "https": False})
    assert added.status_code == 201, added.json
    db.session.commit()
    sync_api = require_browser()
    with serve(app, "custom-domain-live-server") as url:
        site = f"http://{DOMAIN}:{url.rsplit(':', 1)[1]}"
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=[*ARGS, f"--host-resolver-rules=MAP {DOMAIN} 127.0.0.1"])
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                seen: list[str] = []

                def only_the_domain(route: Any) -> None:
                    seen.append(route.request.url)
                    if route.request.url.startswith(site + "/"):
                        route.continue_()
                    else:
                        route.abort()

                page.route("**/*", only_the_domain)
                page.set_default_timeout(15_000)
                page.goto(site + "/en/1.0/guide.html")
                page.wait_for_selector("html[data-docshelf-addons=ready]")
                assert "The guide of Release one" in page.content()
                banner = page.locator("#docshelf-banner")
                assert banner.is_visible()
                assert banner.locator("a").get_attribute("href") == site + "/en/latest/guide.html"
                page.click("#docshelf-flyout button")
                flyout = page.locator("#docshelf-flyout")
                assert flyout.locator("a", has_text="htmlzip").get_attribute("href") == (
                    f"{site}/_/downloads/shelf-sphinx/en/1.0/htmlzip/")
                screenshot(page, "serving-custom-domain-1.0")
                banner.locator("a").click()
                page.wait_for_url(site + "/en/latest/guide.html")
                page.wait_for_selector("html[data-docshelf-addons=ready]")
                assert page.locator("#docshelf-flyout button").inner_text() == "v: latest"
                elsewhere = [u for u in seen if not u.startswith(site + "/")]
                assert seen and not elsewhere, elsewhere
            finally:
                browser.close()
