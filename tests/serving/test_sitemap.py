"""Per-project sitemap.xml and robots.txt."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.extensions import db
from tests import factories

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
SPHINX = "/docs/shelf-sphinx"


def test_sitemap_lists_public_active_built_visible_versions(client, sites):
    factories.VersionFactory(project=sites.sphinx, slug="2.0", built=True, active=True, hidden=True)
    factories.VersionFactory(
        project=sites.sphinx, slug="3.0", built=True, active=True, privacy_level="private"
    )
    factories.VersionFactory(project=sites.sphinx, slug="4.0", built=False, active=True)
    response = client.get(f"{SPHINX}/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    locs = [u.findtext("s:loc", namespaces=NS) for u in root.findall("s:url", NS)]
    assert locs == [f"http://docs.localhost{SPHINX}/en/latest/", f"http://docs.localhost{SPHINX}/en/1.0/"]
    first = root.find("s:url", NS)
    assert first is not None and first.findtext("s:priority", namespaces=NS) == "1.0"
    assert first.findtext("s:lastmod", namespaces=NS)


def test_sitemap_links_translations(client, sites):
    sites.restore("shelf-sphinx", "shelf-sphinx-es", language="es", main_language_project=sites.sphinx)
    root = ET.fromstring(client.get(f"{SPHINX}/sitemap.xml").data)
    first = root.find("s:url", NS)
    assert first is not None
    links = {link.get("hreflang"): link.get("href") for link in first.findall("x:link", NS)}
    assert links == {
        "en": f"http://docs.localhost{SPHINX}/en/latest/",
        "es": f"http://docs.localhost{SPHINX}/es/latest/",
    }


def test_generated_robots_txt(client, sites):
    old = sites.version(sites.sphinx, "1.0")
    old.hidden = True
    db.session.commit()
    response = client.get(f"{SPHINX}/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.text.splitlines() == [
        "User-agent: *",
        f"Disallow: {SPHINX}/en/1.0/",
        "",
        f"Sitemap: http://docs.localhost{SPHINX}/sitemap.xml",
    ]
    plain = client.get("/docs/shelf-mkdocs/robots.txt").text
    assert "Disallow:\n" in plain


def test_the_projects_own_robots_txt_wins(client, sites):
    with open(sites.html(sites.mkdocs, "latest", "robots.txt"), "w", encoding="utf-8") as fh:
        fh.write("User-agent: *\nDisallow: /secret/\n")
    assert client.get("/docs/shelf-mkdocs/robots.txt").text == "User-agent: *\nDisallow: /secret/\n"


def test_host_based_sitemap_and_robots(app, client, sites, monkeypatch):
    monkeypatch.setitem(app.config, "DOCS_DOMAIN", "docs.test")
    host = "http://shelf-sphinx.docs.test"
    sitemap = client.get("/sitemap.xml", base_url=host)
    assert sitemap.status_code == 200 and f"<loc>{host}/en/latest/</loc>" in sitemap.text
    assert f"Sitemap: {host}/sitemap.xml" in client.get("/robots.txt", base_url=host).text
