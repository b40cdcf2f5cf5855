"""Custom domains on real built sites: host-mode serving, the canonical redirect, canonical URLs in the
sitemap, addons and build environment, and the walls around a domain (privacy, other projects, the app)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from app.extensions import db
from app.models import Domain, ProjectReadGrant
from app.services.build_env import canonical_url
from tests import factories
from tests.serving.test_privacy import BROWSER, log_in

SPHINX_DOMAIN = "docs.sphinx.example"
HOST = f"http://{SPHINX_DOMAIN}"
DOMAINS = "/api/v3/projects/shelf-sphinx/domains/"


def add_domain(client: Any, headers: dict[str, str], name: str = SPHINX_DOMAIN, **flags: Any) -> None:
    response = client.post(DOMAINS, json={"domain": name, **flags}, headers=headers)
    assert response.status_code == 201, response.json
    db.session.expire_all()


def domain_log_in(app: Any, client: Any, user: Any, page: str = "/en/latest/") -> None:
    """Sign in on the app origin, then follow the handover to the custom domain (its own docs cookie)."""
    log_in(app, client, user)
    handover = client.get(f"/auth/docs/?next={quote(HOST + page, safe='')}", base_url="http://localhost")
    assert handover.status_code == 302, handover.get_data(as_text=True)
    assert handover.headers["Location"].startswith(f"{HOST}/_/auth/?ticket=")
    accepted = client.get(handover.headers["Location"])
    assert accepted.status_code == 302 and accepted.headers["Location"] == page
    assert client.get_cookie("docshelf_docs", domain=SPHINX_DOMAIN) is not None


# --- serving -------------------------------------------------------------------------------------------


def test_a_custom_domain_serves_its_projects_docs_at_its_root(client, sites, owner_headers):
    child = sites.restore("shelf-mkdocs", "child-docs")
    factories.RelationshipFactory(parent=sites.sphinx, child=child, alias="extra")
    add_domain(client, owner_headers)
    root = client.get("/", base_url=HOST)
    assert root.status_code == 302 and root.headers["Location"] == "/en/latest/"
    page = client.get("/en/1.0/guide.html", base_url=HOST)
    assert page.status_code == 200 and "The guide of Release one" in page.text
    assert client.get("/en/latest/sub", base_url=HOST).headers["Location"] == "/en/latest/sub/"
    assert client.get("/projects/extra/en/latest/guide/", base_url=HOST).status_code == 200
    assert client.get("/en/latest/", base_url=f"{HOST}:8443").status_code == 200  # the port is not the name
    assert client.get("/en/latest/", base_url="http://DOCS.Sphinx.Example").status_code == 200
    missing = client.get("/en/latest/nothing.html", base_url=HOST)
    assert missing.status_code == 404 and "shelf-sphinx" not in missing.headers.get("Location", "")
    assert client.post("/en/latest/", base_url=HOST).status_code == 405
    robots = client.get("/robots.txt", base_url=HOST)
    assert robots.status_code == 200 and f"Sitemap: {HOST}/sitemap.xml" in robots.text
    # Not the app: no API, no login page on a project's domain.
    assert client.get("/api/v3/projects/shelf-sphinx/", base_url=HOST).status_code == 404
    assert client.get("/login", base_url=HOST).status_code == 404


def test_a_domain_serves_from_the_next_request_after_it_is_added_and_stops_after_it_is_removed(
        client, sites, owner_headers):
    before = client.get("/en/latest/", base_url=HOST)
    assert before.status_code == 404 and "Shelf Sphinx" not in before.text  # an unknown host: the app's
    add_domain(client, owner_headers)
    assert client.get("/en/latest/", base_url=HOST).status_code == 200
    assert client.delete(f"{DOMAINS}{SPHINX_DOMAIN}/", headers=owner_headers).status_code == 204
    after = client.get("/en/latest/", base_url=HOST)
    assert after.status_code == 404 and "Shelf Sphinx" not in after.text


def test_the_default_host_redirects_to_the_canonical_domain_with_path_and_query(app, client, sites,
                                                                                owner_headers, monkeypatch):
    add_domain(client, owner_headers, canonical=True)
    add_domain(client, owner_headers, "www.sphinx.example")
    target = f"https://{SPHINX_DOMAIN}/en/latest/guide.html?x=1&y=2"
    path_based = client.get("/docs/shelf-sphinx/en/latest/guide.html?x=1&y=2")
    assert path_based.status_code == 302 and path_based.headers["Location"] == target
    assert path_based.headers["Cache-Control"] == "public, no-cache"  # it follows the project's settings
    other_domain = client.get("/en/latest/guide.html?x=1&y=2", base_url="http://www.sphinx.example")
    assert other_domain.status_code == 302 and other_domain.headers["Location"] == target
    monkeypatch.setitem(app.config, "DOCS_DOMAIN", "docs.test")
    host_based = client.get("/en/latest/guide.html?x=1&y=2", base_url="http://shelf-sphinx.docs.test")
    assert host_based.status_code == 302 and host_based.headers["Location"] == target
    # Made non-canonical, the default host answers again at once.
    off = client.patch(f"{DOMAINS}{SPHINX_DOMAIN}/", json={"canonical": False}, headers=owner_headers)
    assert off.status_code == 200
    assert client.get("/docs/shelf-sphinx/en/latest/guide.html").status_code == 200
    assert client.patch(f"{DOMAINS}{SPHINX_DOMAIN}/", json={"canonical": True}, headers=owner_headers).json
    # The canonical domain itself answers (https at the proxy, as the domain says).
    page = client.get("/en/latest/guide.html", base_url=f"https://{SPHINX_DOMAIN}")
    assert page.status_code == 200 and "The guide of Main branch" in page.text
    # Other projects keep their default host.
    assert client.get("/docs/shelf-mkdocs/en/latest/").status_code == 200


def test_canonical_urls_sitemap_addons_and_build_env_use_the_canonical_domain(client, sites, owner_headers):
    add_domain(client, owner_headers, canonical=True)
    base = f"https://{SPHINX_DOMAIN}"
    sitemap = client.get("/sitemap.xml", base_url=base)
    assert sitemap.status_code == 200
    assert f"<loc>{base}/en/latest/</loc>" in sitemap.text and "docs.localhost" not in sitemap.text
    assert f"<loc>{base}/en/latest/</loc>" in client.get("/docs/shelf-sphinx/sitemap.xml").text
    by_slug = client.get("/_/addons/", query_string={"project-slug": "shelf-sphinx", "version-slug": "1.0"},
                         base_url=base).json
    assert by_slug["versions"]["current"]["urls"]["documentation"] == f"{base}/en/1.0/"
    assert by_slug["projects"]["current"]["urls"]["documentation"] == f"{base}/en/latest/"
    by_url = client.get("/_/addons/", query_string={"url": f"{base}/en/1.0/guide.html"}, base_url=base).json
    assert by_url["versions"]["current"]["urls"]["documentation"] == f"{base}/en/1.0/"
    assert by_url["readthedocs"]["resolver"]["filename"] == "/guide.html"
    assert canonical_url(sites.sphinx, sites.version(sites.sphinx, "1.0")) == f"{base}/en/1.0/"
    api = client.get("/api/v3/projects/shelf-sphinx/versions/1.0/").json
    assert api["urls"]["documentation"] == f"{base}/en/1.0/"


def test_the_addons_answer_changes_when_the_canonical_domain_does(client, sites, owner_headers):
    query = {"project-slug": "shelf-sphinx", "version-slug": "latest"}
    first = client.get("/_/addons/", query_string=query)
    add_domain(client, owner_headers, canonical=True)
    again = client.get("/_/addons/", query_string=query, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    assert again.json["versions"]["current"]["urls"]["documentation"].startswith(f"https://{SPHINX_DOMAIN}/")


# --- attacks -------------------------------------------------------------------------------------------


def test_a_private_projects_domain_answers_no_content_without_access(app, client, sites, owner_headers):
    add_domain(client, owner_headers)
    sites.sphinx.privacy_level = "private"
    db.session.commit()
    for path in ("/en/latest/", "/en/latest/guide.html", "/sitemap.xml", "/en/latest/missing.html"):
        browser = client.get(path, headers=BROWSER, base_url=HOST)
        assert browser.status_code == 302, path
        handover = f"http://localhost/auth/docs/?next={quote(HOST + path, safe='')}"
        assert browser.headers["Location"] == handover
        assert "Main branch" not in browser.text
        api_client = client.get(path, headers={"Accept": "application/json"}, base_url=HOST)
        assert api_client.status_code == 401, path
    # A signed-in outsider with this domain's own cookie sees a 404, as for a missing page.
    outsider = factories.UserFactory(username="outsider")
    domain_log_in(app, client, outsider)
    refused = client.get("/en/latest/guide.html", base_url=HOST)
    assert refused.status_code == 404 and "Main branch" not in refused.text
    # A reader granted access reads it on the domain, privately.
    db.session.add(ProjectReadGrant(project_id=sites.sphinx.id, user_id=outsider.id))
    db.session.commit()
    allowed = client.get("/en/latest/guide.html", base_url=HOST)
    assert allowed.status_code == 200 and "The guide of Main branch" in allowed.text
    assert allowed.headers["Cache-Control"].startswith("private")


def test_a_projects_domain_never_serves_another_project(app, client, sites, owner_headers):
    add_domain(client, owner_headers)
    sites.mkdocs.privacy_level = "private"
    db.session.commit()
    reader = factories.UserFactory(username="reader")
    db.session.add(ProjectReadGrant(project_id=sites.mkdocs.id, user_id=reader.id))
    db.session.commit()
    domain_log_in(app, client, reader)  # the reader's docs cookie on project A's domain
    # Project B's own URLs, through A's domain: never B's content, whatever the route.
    probes = (
        "/docs/shelf-mkdocs/en/latest/",
        "/_/downloads/shelf-mkdocs/en/latest/htmlzip/",
        "/_/downloads/shelf-mkdocs/en/latest/tar.gz/",
        "/_/addons/?project-slug=shelf-mkdocs&version-slug=latest",
        "/_/addons/?url=" + quote("http://docs.localhost/docs/shelf-mkdocs/en/latest/", safe=""),
        "/_/api/v3/embed/?url=" + quote("http://docs.localhost/docs/shelf-mkdocs/en/latest/guide/", safe=""),
        "/_/api/v3/search/?q=" + quote("project:shelf-mkdocs guide"),
    )
    for probe in probes:
        response = client.get(probe, base_url=HOST)
        assert response.status_code in (400, 401, 404), (probe, response.status_code)
        assert "Main branch" not in response.get_data(as_text=True), probe
    # A public project B is not served through A's domain either.
    sites.mkdocs.privacy_level = "public"
    db.session.commit()
    for probe in probes[:4]:
        assert client.get(probe, base_url=HOST).status_code in (401, 404), probe
    # The same routes answer for B on B's own host: the domain is the wall.
    assert client.get("/docs/shelf-mkdocs/en/latest/").status_code == 200
    assert client.get("/_/downloads/shelf-mkdocs/en/latest/htmlzip/").status_code == 200
    # And A's own routes on A's domain work.
    assert client.get("/_/downloads/shelf-sphinx/en/latest/htmlzip/", base_url=HOST).status_code == 200


def test_a_domain_naming_the_app_origin_never_takes_the_app_over(client, sites, owner_headers):
    # The API refuses it (tests/api/test_domains.py); one stored anyway (a setting changed since) loses.
    db.session.add(Domain(project=sites.sphinx, domain="localhost", canonical=False))
    db.session.commit()
    assert client.get("/api/v3/", base_url="http://localhost").status_code == 200
    assert client.get("/en/latest/", base_url="http://localhost").status_code == 404
    listed = client.get("/api/v3/projects/", headers=owner_headers, base_url="http://localhost")
    assert listed.status_code == 200 and listed.json["count"] == 2
    refused = client.post(DOMAINS, json={"domain": "localhost."}, headers=owner_headers)
    assert refused.status_code == 400


@pytest.mark.parametrize("next_url", ["http://evil.example/en/latest/", "http://localhost.evil.example/"])
def test_the_handover_still_goes_only_to_hosts_of_ours(app, client, sites, owner_headers, next_url):
    add_domain(client, owner_headers)
    log_in(app, client, sites.owner)
    response = client.get(f"/auth/docs/?next={quote(next_url, safe='')}", base_url="http://localhost")
    assert response.status_code == 400


def test_a_sign_in_ticket_sent_to_a_domain_is_worthless_anywhere_else(app, client, sites, owner_headers):
    """A maintainer points a domain at a server of theirs and sends a signed-in reader of another
    project's private docs through the handover: the ticket lands in their log. Redeemed on the docs
    origin it is refused; redeemed on their domain (with that Host, at Docshelf) its cookie reads
    nothing but their own project, and replayed on the docs origin it is nobody's."""
    add_domain(client, owner_headers, "evil.example")
    sites.mkdocs.privacy_level = "private"
    db.session.commit()
    victim = factories.UserFactory(username="victim")
    db.session.add(ProjectReadGrant(project_id=sites.mkdocs.id, user_id=victim.id))
    db.session.commit()
    log_in(app, client, victim)
    handover = client.get(f"/auth/docs/?next={quote('http://evil.example/x', safe='')}",
                          base_url="http://localhost")
    assert handover.status_code == 302
    stolen = handover.headers["Location"].split("/_/auth/", 1)[1]  # what the attacker's server logged
    thief = app.test_client()  # the attacker: none of the victim's cookies
    on_docs_origin = thief.get(f"/_/auth/{stolen}", base_url="http://docs.localhost")
    assert on_docs_origin.status_code == 400 and on_docs_origin.json["code"] == "invalid_ticket"
    on_their_domain = thief.get(f"/_/auth/{stolen}", base_url="http://evil.example")
    assert on_their_domain.status_code == 302
    cookie = thief.get_cookie("docshelf_docs", domain="evil.example")
    assert cookie is not None
    # On their domain: the victim's access reaches no other project.
    for probe in ("/_/downloads/shelf-mkdocs/en/latest/htmlzip/",
                  "/_/addons/?project-slug=shelf-mkdocs&version-slug=latest"):
        assert thief.get(probe, base_url="http://evil.example").status_code in (401, 404), probe
    # Replayed on the docs origin: no reader at all.
    replayed = app.test_client()
    replayed.set_cookie("docshelf_docs", cookie.value, domain="docs.localhost")
    page = replayed.get("/docs/shelf-mkdocs/en/latest/", headers={"Accept": "application/json"},
                        base_url="http://docs.localhost")
    assert page.status_code == 401
    # The victim's own handover to the docs origin still works there.
    mkdocs_page = quote("http://docs.localhost/docs/shelf-mkdocs/en/latest/", safe="")
    ok = client.get(f"/auth/docs/?next={mkdocs_page}", base_url="http://localhost")
    assert client.get(ok.headers["Location"]).status_code == 302
    assert client.get("/docs/shelf-mkdocs/en/latest/", base_url="http://docs.localhost").status_code == 200
