"""Private projects and versions: the credential handover for browsers, 401 for API clients, 404 for
outsiders; the docs origin never accepts the app's session."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import session

from app.extensions import db
from app.models import ProjectReadGrant
from app.security import sessions
from tests import factories

SPHINX = "/docs/shelf-sphinx"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


DOCS = "http://docs.localhost"


def log_in(app, client, user) -> None:
    """A browser session on the app origin, made by the real login helper, in the client's cookies."""
    with app.test_request_context():
        sessions.login(user)
        data = dict(session)
    with client.session_transaction() as browser_session:
        browser_session.update(data)


def docs_log_in(app, client, user, page: str = f"{SPHINX}/en/latest/") -> None:
    """Log in on the app origin, then follow the handover that gives the docs origin its credential."""
    log_in(app, client, user)
    handover = client.get(f"/auth/docs/?next={quote(DOCS + page, safe='')}", base_url="http://localhost")
    assert handover.status_code == 302 and handover.headers["Location"].startswith(f"{DOCS}/_/auth/?ticket=")
    accepted = client.get(handover.headers["Location"])
    assert accepted.status_code == 302 and accepted.headers["Location"] == page


@pytest.fixture
def private_project(sites) -> Any:
    sites.sphinx.privacy_level = "private"
    db.session.commit()
    return sites.sphinx


def token_headers(user: Any) -> dict[str, str]:
    return {"Authorization": f"Token {factories.make_token(user)}"}


def test_anonymous_browsers_are_sent_to_the_login_page(client, private_project):
    for path in (f"{SPHINX}/", f"{SPHINX}/en/latest/guide.html?x=1", f"{SPHINX}/en/latest/missing.html"):
        response = client.get(path, headers=BROWSER)
        assert response.status_code == 302, path
        handover = f"http://localhost/auth/docs/?next={quote(DOCS + path, safe='')}"
        assert response.headers["Location"] == handover
        assert response.headers["Cache-Control"] == "no-store"


def test_api_clients_get_401_in_the_error_contract(client, private_project):
    response = client.get(f"{SPHINX}/en/latest/", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.mimetype == "application/json"
    body = response.json
    assert body["code"] == "auth_required" and body["status"] == 401 and body["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Token")
    invalid = client.get(f"{SPHINX}/en/latest/", headers={"Authorization": "Token nope"})
    assert invalid.status_code == 401


def test_maintainers_grants_and_sessions_may_read(app, client, sites, private_project):
    owner = client.get(f"{SPHINX}/en/latest/guide.html", headers=token_headers(sites.owner))
    assert owner.status_code == 200 and "The guide of Main branch" in owner.text
    assert owner.headers["Cache-Control"] == "private, no-cache"
    assert {"Cookie", "Authorization"} <= set(owner.vary)
    reader = factories.UserFactory(username="reader")
    db.session.add(ProjectReadGrant(project=private_project, user=reader))
    db.session.commit()
    assert client.get(f"{SPHINX}/en/latest/", headers=token_headers(reader)).status_code == 200
    log_in(app, client, reader)  # the app's session alone opens nothing on the docs origin
    assert client.get(f"{SPHINX}/en/latest/", headers=BROWSER).status_code == 302
    docs_log_in(app, client, reader)
    assert client.get(f"{SPHINX}/en/latest/", headers=BROWSER).status_code == 200
    assert client.get("/_/downloads/shelf-sphinx/en/latest/htmlzip/", headers=BROWSER).status_code == 200


def test_signed_in_outsiders_see_a_plain_404(app, client, private_project):
    outsider = factories.UserFactory(username="outsider")
    as_api = client.get(f"{SPHINX}/en/latest/", headers=token_headers(outsider))
    assert as_api.status_code == 404 and as_api.json["code"] == "not_found"
    docs_log_in(app, client, outsider)
    as_browser = client.get(f"{SPHINX}/en/latest/", headers=BROWSER)
    assert as_browser.status_code == 404 and "Page not found" in as_browser.text


def test_private_versions_of_public_projects(client, sites):
    old = sites.version(sites.sphinx, "1.0")
    old.privacy_level = "private"
    db.session.commit()
    assert client.get(f"{SPHINX}/en/latest/", headers=BROWSER).status_code == 200
    assert client.get(f"{SPHINX}/en/latest/").headers["Cache-Control"].startswith("public")
    refused = client.get(f"{SPHINX}/en/1.0/guide.html", headers=BROWSER)
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("http://localhost/auth/docs/?next=")
    assert client.get(f"{SPHINX}/en/1.0/", headers={"Accept": "application/json"}).status_code == 401
    assert client.get(f"{SPHINX}/en/1.0/", headers=token_headers(sites.owner)).status_code == 200
    anonymous = client.get(
        "/_/addons/", query_string={"project-slug": "shelf-sphinx", "version-slug": "latest"}
    )
    assert [v["slug"] for v in anonymous.json["versions"]["active"]] == ["latest"]
    owner = client.get(
        "/_/addons/",
        query_string={"project-slug": "shelf-sphinx", "version-slug": "latest"},
        headers=token_headers(sites.owner),
    )
    assert [v["slug"] for v in owner.json["versions"]["active"]] == ["latest", "1.0"]
    assert client.get("/_/downloads/shelf-sphinx/en/1.0/htmlzip/", headers=BROWSER).status_code == 302
    sitemap = client.get(f"{SPHINX}/sitemap.xml").text
    assert "/en/latest/" in sitemap and "/en/1.0/" not in sitemap


def test_hidden_versions_are_served_but_not_listed(client, sites):
    old = sites.version(sites.sphinx, "1.0")
    old.hidden = True
    db.session.commit()
    assert client.get(f"{SPHINX}/en/1.0/guide.html").status_code == 200
    addons = client.get(
        "/_/addons/", query_string={"url": f"http://docs.localhost{SPHINX}/en/1.0/guide.html"}
    ).json
    assert addons["versions"]["current"]["slug"] == "1.0"  # the page's own version is still described
    assert [v["slug"] for v in addons["versions"]["active"]] == ["latest"]
    assert "/en/1.0/" not in client.get(f"{SPHINX}/sitemap.xml").text
    assert f"Disallow: {SPHINX}/en/1.0/" in client.get(f"{SPHINX}/robots.txt").text


def test_private_projects_hide_redirects_sitemaps_and_addons(client, sites, private_project, owner_headers):
    response = client.post(
        "/api/v3/projects/shelf-sphinx/redirects/",
        json={"type": "page", "from_url": "/old.html", "to_url": "/guide.html"},
        headers=owner_headers,
    )
    assert response.status_code == 201
    assert (
        client.get(f"{SPHINX}/en/latest/old.html", headers=BROWSER).headers["Location"]
        .startswith("http://localhost/auth/docs/")
    )
    assert client.get(f"{SPHINX}/en/latest/old.html", headers=owner_headers).status_code == 302
    assert client.get(f"{SPHINX}/sitemap.xml", headers={"Accept": "application/json"}).status_code == 401
    assert client.get(f"{SPHINX}/robots.txt", headers=BROWSER).status_code == 302
    addons = client.get("/_/addons/", query_string={"project-slug": "shelf-sphinx", "version-slug": "latest"})
    assert addons.status_code == 401 and addons.json["code"] == "auth_required"
    outsider = token_headers(factories.UserFactory(username="nosy"))
    hidden = client.get("/_/addons/?project-slug=shelf-sphinx&version-slug=latest", headers=outsider)
    assert hidden.status_code == 404


def test_an_invalid_credential_does_not_break_public_pages(client, sites):
    response = client.get(f"{SPHINX}/en/latest/", headers={"Authorization": "Token not-a-token", **BROWSER})
    assert response.status_code == 200


def test_the_handover_asks_the_app_origin_to_log_in_first(client, private_project):
    page = f"{DOCS}{SPHINX}/en/latest/"
    response = client.get(f"/auth/docs/?next={quote(page, safe='')}", base_url="http://localhost")
    assert response.status_code == 302
    login = urlsplit(response.headers["Location"])
    assert login.path == "/login"
    assert parse_qs(login.query)["next"] == [f"/auth/docs/?next={quote(page, safe='')}"]


@pytest.mark.parametrize("target", ["http://evil.example/", "//docs.localhost/x", "javascript:alert(1)",
                                    "http://localhost/api/v3/", ""])
def test_the_handover_only_goes_to_the_docs_origin(app, client, sites, target):
    log_in(app, client, sites.owner)
    response = client.get(f"/auth/docs/?next={quote(target, safe='')}", base_url="http://localhost")
    assert response.status_code == 400 and response.json["code"] == "invalid_next"


def test_a_ticket_works_once_and_logout_ends_the_docs_credential(app, client, sites, private_project):
    log_in(app, client, sites.owner)
    page = f"{SPHINX}/en/latest/"
    handover = client.get(f"/auth/docs/?next={quote(DOCS + page, safe='')}", base_url="http://localhost")
    ticket_url = handover.headers["Location"]
    assert client.get(ticket_url).status_code == 302
    assert client.get(ticket_url).json["code"] == "invalid_ticket"  # replayed
    assert client.get(page, headers=BROWSER).status_code == 200
    with client.session_transaction() as browser_session:
        csrf = browser_session["csrf"]
    out = client.post("/logout", data={"csrf_token": csrf}, base_url="http://localhost")
    assert out.status_code == 303
    assert client.get(page, headers=BROWSER).status_code == 302  # the docs credential died with the session


def test_the_docs_credential_is_worthless_against_the_api(app, client, sites, private_project):
    docs_log_in(app, client, sites.owner)
    cookie = client.get_cookie("docshelf_docs", domain="docs.localhost")
    assert cookie is not None
    stranger = app.test_client()  # holds nothing but the docs credential, sent to the app origin
    api = stranger.get("/api/v3/projects/shelf-sphinx/", base_url="http://localhost",
                       headers={"Cookie": f"docshelf_docs={cookie.value}"})
    assert api.status_code in (401, 404)  # anonymous: the private project is not even named
    on_docs = client.get("/api/v3/projects/shelf-sphinx/", base_url=DOCS)
    assert on_docs.status_code == 404 and on_docs.json["code"] == "not_on_docs_origin"


def test_the_app_origin_sends_docs_paths_to_the_docs_origin(client, sites):
    for path in (f"{SPHINX}/en/latest/guide.html?x=1", "/_/addons/?project-slug=shelf-sphinx",
                 "/_/downloads/shelf-sphinx/en/latest/htmlzip/"):
        response = client.get(path, base_url="http://localhost")
        assert response.status_code == 302 and response.headers["Location"] == DOCS + path
    for path in ("/login", "/api/v3/", "/device"):
        refused = client.get(path, base_url=DOCS, headers={"X-Request-ID": "req-docs-1"})
        assert refused.status_code == 404 and refused.json["code"] == "not_on_docs_origin"
        assert refused.json["request_id"] == refused.headers["X-Request-ID"] == "req-docs-1"


def test_the_session_cookie_is_host_only_on_the_app_origin(app, client, sites):
    """No Domain attribute: the app's session never reaches another host, the docs origin included."""
    user = factories.UserFactory(username="cookie-check")
    from app.services.accounts import set_password

    set_password(user, "a long enough password 123")
    page = client.get("/login", base_url="http://localhost")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/login", base_url="http://localhost",
                           data={"username": "cookie-check", "password": "a long enough password 123",
                                 "csrf_token": csrf})
    assert response.status_code == 303
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("docshelf_session=")]
    assert cookies and all("domain=" not in h.lower() for h in cookies)
    assert all("httponly" in h.lower() and "samesite=lax" in h.lower() for h in cookies)


def test_the_docs_origin_may_not_be_the_apps_own():
    from app import create_app

    with pytest.raises(RuntimeError, match="must not be the app's own origin"):
        create_app(PUBLIC_URL="https://docs.example.org", DOCS_URL="https://docs.example.org/",
                   SECRET_KEY="x" * 40, DATABASE_URL="sqlite://", REDIS_URL="redis://127.0.0.1:1/0")
