"""Validators, 304s, Cache-Control, ranges, HEAD, and handing files to nginx with X-Accel-Redirect."""

from __future__ import annotations

import os
import time

PAGE = "/docs/shelf-sphinx/en/latest/guide.html"


def test_etag_and_last_modified_give_304s(client, sites):
    first = client.get(PAGE)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert "Cookie" not in first.vary  # public pages do not depend on who asks: shared caches may keep them
    again = client.get(PAGE, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=300"
    assert client.get(PAGE, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(PAGE, headers={"If-None-Match": '"something-else"'}).status_code == 200

    path = sites.html(sites.sphinx, "latest", "guide.html")
    with open(path, "a", encoding="utf-8") as fh:  # a rebuild changes the file: the old ETag stops matching
        fh.write("<!-- rebuilt -->")
    later = time.time() + 5
    os.utime(path, (later, later))
    changed = client.get(PAGE, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag and "rebuilt" in changed.text


def test_cache_control_follows_the_setting(app, client, sites, monkeypatch):
    assert client.get(PAGE).headers["Cache-Control"] == "public, max-age=300"
    monkeypatch.setitem(app.config, "DOCS_CACHE_MAX_AGE", 0)
    assert client.get(PAGE).headers["Cache-Control"] == "public, no-cache"
    assert client.get("/docs/shelf-sphinx/en/latest/missing.html").headers["Cache-Control"] == "no-cache"


def test_ranges_and_head(client, sites):
    ranged = client.get(PAGE, headers={"Range": "bytes=0-14"})
    assert ranged.status_code == 206 and ranged.data == b"<!DOCTYPE html>"
    head = client.head(PAGE)
    assert head.status_code == 200 and head.data == b"" and int(head.headers["Content-Length"]) > 0


def test_x_accel_redirect_hands_files_to_nginx(app, client, sites, monkeypatch):
    monkeypatch.setitem(app.config, "DOCS_ACCEL_REDIRECT", "/_storage/")
    page = client.get(PAGE)
    assert page.status_code == 200 and page.data == b""
    assert page.headers["X-Accel-Redirect"] == "/_storage/shelf-sphinx/latest/html/guide.html"
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "public, max-age=300"
    download = client.get("/_/downloads/shelf-sphinx/en/latest/epub/")
    assert download.headers["X-Accel-Redirect"] == "/_storage/shelf-sphinx/latest/downloads/shelf-sphinx.epub"
    assert download.headers["Content-Disposition"] == "attachment; filename=shelf-sphinx-latest.epub"
    html = sites.html(sites.sphinx, "latest")
    os.symlink(os.path.join(html, "guide.html"), os.path.join(html, "alias.html"))
    alias = client.get("/docs/shelf-sphinx/en/latest/alias.html")  # nginx gets the resolved file
    assert alias.headers["X-Accel-Redirect"] == "/_storage/shelf-sphinx/latest/html/guide.html"
    index = client.get("/docs/shelf-sphinx/en/latest/sub/")
    assert index.headers["X-Accel-Redirect"] == "/_storage/shelf-sphinx/latest/html/sub/index.html"
    # decisions stay with the app: redirects, 404 pages and private checks are never handed over
    assert "X-Accel-Redirect" not in client.get("/docs/shelf-sphinx/").headers
    missing = client.get("/docs/shelf-mkdocs/en/latest/nope/")
    assert missing.status_code == 404 and "X-Accel-Redirect" not in missing.headers and missing.data
    sites.sphinx.privacy_level = "private"
    from app.extensions import db

    db.session.commit()
    assert "X-Accel-Redirect" not in client.get(PAGE, headers={"Accept": "application/json"}).headers
