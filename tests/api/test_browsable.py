"""The browsable API: a browser gets an HTML page of any API response; API clients keep their JSON."""

from __future__ import annotations

import re
from html import unescape

import pytest

from app.api.browsable import render_json
from app.services.accounts import create_user
from tests import factories
from tests.api.helpers import assert_error

#: What Chromium sends when it navigates to a page.
BROWSER = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)
PASSWORD = "correct horse battery"


def page(client, url, **headers):
    response = client.get(url, headers={"Accept": BROWSER, **headers})
    assert response.mimetype == "text/html", response.get_data(as_text=True)
    return response, response.get_data(as_text=True)


def anchors(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'<a [^>]*href="([^"]*)"', html)]


def element(html: str, id_: str) -> str:
    match = re.search(rf'id="{id_}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no element #{id_}"
    return unescape(match.group(1)).strip()


def href(html: str, id_: str) -> str:
    match = re.search(rf'id="{id_}"[^>]*href="([^"]+)"', html)
    assert match, f"no link #{id_}"
    return unescape(match.group(1))


def login(client, username: str = "alice") -> None:
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf
    data = {"username": username, "password": PASSWORD, "csrf_token": csrf.group(1), "next": "/api/v3/"}
    assert client.post("/login", data=data).status_code == 303


def test_root_is_a_page_whose_links_are_anchors(client):
    response, html = page(client, "/api/v3/")
    assert response.status_code == 200
    assert "Accept" in response.vary
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
    links = client.get("/api/v3/").json["_links"]
    assert set(links.values()) <= set(anchors(html))
    assert element(html, "status") == "HTTP 200 OK"
    assert element(html, "allowed") == "Allow: GET, HEAD, OPTIONS"
    assert 'href="/static/browsable.css"' in html and 'src="/static/browsable.js"' in html
    assert "/login?next=/api/v3/" in anchors(html)  # anonymous: a way to log in
    assert "<script>" not in html  # no inline script: the CSP would refuse it anyway
    assert client.get("/static/browsable.js").status_code == 200
    assert client.get("/static/browsable.css").status_code == 200


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html, application/json"])
def test_api_clients_keep_their_json(client, user, headers, accept):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    plain = client.get("/api/v3/projects/pip/", headers=headers)
    sent = dict(headers, **({"Accept": accept} if accept else {}))
    response = client.get("/api/v3/projects/pip/", headers=sent)
    assert response.mimetype == "application/json"
    assert response.get_data() == plain.get_data()
    assert "Accept" in response.vary and "Content-Security-Policy" not in response.headers


def test_format_json_forces_json_in_a_browser(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    plain = client.get("/api/v3/projects/", headers=headers)
    forced = client.get("/api/v3/projects/?format=json", headers={**headers, "Accept": BROWSER})
    assert forced.mimetype == "application/json" and forced.json == plain.json
    assert "Accept" in forced.vary


#: Routes that refuse a request without their one required argument (as Read the Docs' do).
REQUIRED_ARGS = {"/api/v3/search/": "&q=project:pip+words", "/api/v3/embed/": "&url=/docs/pip/en/latest/"}


def test_format_json_is_harmless_on_every_route(app, client):
    """No query-argument schema rejects ``format``, whichever GET route it reaches."""
    admin = factories.UserFactory(username="root", role="admin")
    headers = {"Authorization": f"Token {factories.make_token(admin)}"}
    project = factories.ProjectFactory(name="Pip", maintainers=[admin])
    build = factories.BuildFactory(project=project, version=project.versions[0])
    values = {"project_slug": "pip", "version_slug": "latest", "build_id": build.id, "username": "root"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v3/") or "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint.split(".")[0] in ("api-docs", "openapi_ui"):
            continue
        args = {name: values.get(name, 1) for name in rule.arguments}
        url = rule.build(args)[1] + "?format=json&limit=5"  # type: ignore[index]
        url += REQUIRED_ARGS.get(rule.rule, "")
        response = client.get(url, headers={**headers, "Accept": BROWSER})
        if rule.rule == "/api/v3/embed/":  # answered by the docs origin
            assert response.status_code == 302 and "format=json" in response.headers["Location"], url
            continue
        assert response.status_code in (200, 404), (url, response.get_data(as_text=True))
        assert response.mimetype != "text/html", url
        checked += 1
    assert checked >= 20


def test_list_page_shows_pagination_count_and_methods(client, user, headers):
    for name in ("Alpha", "Beta", "Gamma"):
        factories.ProjectFactory(name=name, maintainers=[user])
    body = client.get("/api/v3/projects/?limit=1&offset=1", headers=headers).json
    response, html = page(client, "/api/v3/projects/?limit=1&offset=1", **headers)
    assert response.status_code == 200
    assert element(html, "count") == "count: 3"
    assert href(html, "previous") == body["previous"] and href(html, "next") == body["next"]
    assert body["previous"] in anchors(html) and body["next"] in anchors(html)
    assert element(html, "allowed") == "Allow: GET, HEAD, OPTIONS, POST"
    assert '<form id="api-form" action="/api/v3/projects/"' in html
    method_select = re.search(r"<select id=\"api-method\".*?</select>", html, re.S)
    assert method_select and re.findall(r"<option>(\w+)</option>", method_select.group(0)) == ["POST"]
    assert "/api/v3/projects/?limit=1&offset=1&format=json" in anchors(html)
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', html, re.S).group(0)
    assert anchors(crumbs) == ["/api/v3/"] and 'aria-current="page">projects<' in crumbs


def test_detail_page_with_breadcrumbs_and_write_methods(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    response, html = page(client, "/api/v3/projects/pip/versions/latest/", **headers)
    assert response.status_code == 200
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', html, re.S).group(0)
    parents = ["/api/v3/", "/api/v3/projects/", "/api/v3/projects/pip/", "/api/v3/projects/pip/versions/"]
    assert anchors(crumbs) == parents
    assert 'aria-current="page">latest<' in crumbs
    assert element(html, "allowed") == "Allow: GET, HEAD, OPTIONS, PATCH, PUT"
    method_select = re.search(r"<select id=\"api-method\".*?</select>", html, re.S)
    assert method_select and re.findall(r"<option>(\w+)</option>", method_select.group(0)) == ["PUT", "PATCH"]
    version = client.get("/api/v3/projects/pip/versions/latest/", headers=headers).json
    assert set(version["_links"].values()) <= set(anchors(html))
    assert "Signed in as <strong>alice</strong> (token)" in html


def test_head_gets_the_page_headers(client):
    response = client.head("/api/v3/", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert int(response.headers["Content-Length"]) > 0 and response.get_data() == b""


def test_not_found_is_a_page_with_the_status_and_detail(client):
    response, html = page(client, "/api/v3/projects/nothing-here/")
    assert response.status_code == 404
    assert element(html, "status") == "HTTP 404 Not Found"
    assert element(html, "detail") == "No Project matches the given query."
    assert "X-Request-ID" in response.headers and "Accept" in response.vary
    assert_error(client.get("/api/v3/projects/nothing-here/"), 404, "not_found")


def test_unauthenticated_is_a_page_with_a_login_link(client):
    response, html = page(client, "/api/v3/projects/?limit=2")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"]
    assert element(html, "status") == "HTTP 401 Unauthorized"
    assert "credentials were not provided" in element(html, "detail")
    assert href(html, "login-to-continue") == "/login?next=/api/v3/projects/?limit%3D2"
    assert_error(client.get("/api/v3/projects/", headers={"Accept": "*/*"}), 401, "auth_required")


def test_user_strings_are_escaped(client, user, headers):
    factories.ProjectFactory(name="<script>alert(1)</script>", slug="xss", maintainers=[user])
    _, html = page(client, "/api/v3/projects/xss/", **headers)
    assert "<script>alert(1)" not in html
    assert "&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;" in html
    _, missing = page(client, "/api/v3/projects/%3Cimg%20src=x%20onerror=alert(1)%3E/", **headers)
    assert "<img" not in missing and "&lt;img src=x onerror=alert(1)&gt;" in missing


def test_only_absolute_http_urls_become_links():
    html = str(render_json({"a": "javascript:alert(1)", "b": 'https://x.example/"onclick="x', "c": "/docs"}))
    assert "<a " not in html
    linked = str(render_json(["https://docs.example.org/a?b=1&c=2"]))
    assert '<a href="https://docs.example.org/a?b=1&amp;c=2">' in linked


def test_session_page_carries_csrf_token_and_writes_need_it(client):
    alice = create_user("alice", password=PASSWORD)
    factories.ProjectFactory(name="Pip", maintainers=[alice])
    login(client)
    _, html = page(client, "/api/v3/projects/pip/")
    assert "Signed in as <strong>alice</strong>" in html and "/logout" in anchors(html)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    accept = {"Accept": "application/json"}
    without = client.patch("/api/v3/projects/pip/", json={"tags": ["docs"]}, headers=accept)
    assert_error(without, 403, "csrf_failed", "auth")
    sent = client.patch(
        "/api/v3/projects/pip/",
        json={"tags": ["docs"]},
        headers={"Accept": "application/json", "X-CSRF-Token": token},
    )
    assert sent.status_code == 204, sent.get_data(as_text=True)
    assert client.get("/api/v3/projects/pip/", headers={"Accept": "*/*"}).json["tags"] == ["docs"]


def test_writes_stay_json_even_for_a_browser_accept_header(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    response = client.post("/api/v3/projects/pip/redirects/", json={"type": "page", "from_url": "/a",
                           "to_url": "/b"}, headers={**headers, "Accept": BROWSER})
    assert response.status_code == 201 and response.mimetype == "application/json"


def test_openapi_document_and_its_ui_stay_as_they_are(client):
    spec = client.get("/api/v3/openapi.json", headers={"Accept": BROWSER})
    assert spec.mimetype == "application/json" and "Accept" not in spec.vary
    ui = client.get("/api/v3/docs/", headers={"Accept": BROWSER})
    assert "swagger-ui" in ui.get_data(as_text=True) and "api-form" not in ui.get_data(as_text=True)


def test_method_not_allowed_page_offers_the_allowed_write(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    response, html = page(client, "/api/v3/projects/pip/sync-versions/", **headers)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}  # the header's order varies
    assert element(html, "status") == "HTTP 405 Method Not Allowed"
    assert element(html, "allowed") == "Allow: OPTIONS, POST"
    method_select = re.search(r"<select id=\"api-method\".*?</select>", html, re.S)
    assert method_select and re.findall(r"<option>(\w+)</option>", method_select.group(0)) == ["POST"]


def test_the_page_costs_no_query_beyond_the_json(client, user, headers, count_queries):
    for name in ("Alpha", "Beta", "Gamma"):
        factories.ProjectFactory(name=name, maintainers=[user])
    client.get("/api/v3/", headers=headers)  # the token's last_used is written once, here
    with count_queries() as as_json:  # a first read: the JSON is not in the response cache yet
        client.get("/api/v3/projects/", headers=headers)
    with count_queries() as as_page:
        page(client, "/api/v3/projects/", **headers)
    # The JSON also asks the data generation (is it cached?) and its validator (ETag); a page does neither.
    assert as_page.count <= as_json.count
