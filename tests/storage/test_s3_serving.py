"""The docs server streaming from object storage (moto's S3 server on 127.0.0.1): the same answers
as from the local directory (content types, ETag and 304, ranges, the project's 404 page, slash
redirects, downloads), with privacy and traversal still decided by Docshelf."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from app import storage
from tests import factories
from tests.serving.test_traversal import CORPUS
from tests.storage.conftest import build_ended
from workers import publish

SECRET = "OTHER-PROJECT-SECRET"
PAGES = {
    "index.html": "<h1>S3 home</h1>",
    "guide.html": "<p>The guide, from the bucket.</p>",
    "_static/app.css": "body { color: black }",
    "sub/index.html": "<p>sub</p>",
    "404.html": "<h1>Custom not found</h1>",
    "data.bin": "0123456789abcdefghij",
}


def _publish(tmp_path: Path, slug: str, pages: dict[str, str], downloads: bool = True) -> None:
    html = tmp_path / slug / "html"
    for relative, text in pages.items():
        (html / relative).parent.mkdir(parents=True, exist_ok=True)
        (html / relative).write_text(text)
    extra = {}
    if downloads:
        zipped = tmp_path / slug / "site.zip"
        zipped.write_bytes(b"PK-zip-of-" + slug.encode())
        extra["htmlzip"] = str(zipped)
    publish.publish(slug, "latest", str(html), extra, 1, root=str(tmp_path))
    build_ended()


@pytest.fixture
def site(s3_settings, tmp_path):
    project = factories.ProjectFactory(slug="bucketed", with_latest=False)
    factories.VersionFactory(project=project, slug="latest", built=True, built_formats=["htmlzip"])
    _publish(tmp_path, "bucketed", PAGES)
    hidden = factories.ProjectFactory(slug="secretive", privacy_level="private", with_latest=False)
    factories.VersionFactory(project=hidden, slug="latest", built=True, built_formats=["htmlzip"])
    _publish(tmp_path, "secretive", {"index.html": SECRET, "secret.txt": SECRET})
    return project


BASE = "/docs/bucketed/en/latest"


def test_a_page_is_streamed_with_its_type_and_validators(client, site):
    response = client.get(f"{BASE}/guide.html")
    assert response.status_code == 200
    assert response.data == PAGES["guide.html"].encode()
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Accept-Ranges"] == "bytes"
    etag = response.headers["ETag"]
    assert etag and response.headers["Last-Modified"]
    again = client.get(f"{BASE}/guide.html", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(f"{BASE}/_static/app.css").headers["Content-Type"] == "text/css; charset=utf-8"
    assert client.get(f"{BASE}/").data == PAGES["index.html"].encode()
    head = client.head(f"{BASE}/guide.html")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(PAGES["guide.html"]))


def test_ranges_are_fetched_from_the_bucket(client, site):
    response = client.get(f"{BASE}/data.bin", headers={"Range": "bytes=10-14"})
    assert response.status_code == 206
    assert response.data == b"abcde"
    assert response.headers["Content-Range"] == "bytes 10-14/20"
    tail = client.get(f"{BASE}/data.bin", headers={"Range": "bytes=-3"})
    assert tail.status_code == 206 and tail.data == b"hij"
    assert client.get(f"{BASE}/data.bin", headers={"Range": "bytes=50-60"}).status_code == 416
    etag = tail.headers["ETag"]
    stale = client.get(f"{BASE}/data.bin", headers={"Range": "bytes=0-1", "If-Range": '"other"'})
    assert stale.status_code == 200 and len(stale.data) == 20  # If-Range mismatch: the whole file
    fresh = client.get(f"{BASE}/data.bin", headers={"Range": "bytes=0-1", "If-Range": etag})
    assert fresh.status_code == 206 and fresh.data == b"01"


def test_redirects_and_the_projects_404_page(client, site):
    assert client.get(f"{BASE}").headers["Location"].endswith(f"{BASE}/")
    assert client.get(f"{BASE}/sub").headers["Location"].endswith(f"{BASE}/sub/")
    assert client.get(f"{BASE}/sub/").data == b"<p>sub</p>"
    missing = client.get(f"{BASE}/nowhere.html")
    assert missing.status_code == 404 and missing.data == PAGES["404.html"].encode()
    assert missing.headers["Cache-Control"] == "no-cache"
    assert client.get(f"{BASE}/guide.html/").status_code == 404
    assert client.get("/docs/bucketed/").headers["Location"].endswith(f"{BASE}/")


def test_downloads_come_from_the_bucket(client, site):
    response = client.get("/_/downloads/bucketed/en/latest/htmlzip/")
    assert response.status_code == 200 and response.data == b"PK-zip-of-bucketed"
    assert response.headers["Content-Type"] == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    tarball = client.get("/_/downloads/bucketed/en/latest/tar.gz/")
    assert tarball.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(tarball.data), mode="r:gz") as archive:
        names = sorted(archive.getnames())
        assert names == sorted(f"bucketed-latest/{name}" for name in PAGES)
        member = archive.extractfile("bucketed-latest/guide.html")
        assert member is not None and member.read() == PAGES["guide.html"].encode()
    assert client.get("/_/downloads/bucketed/en/latest/pdf/").status_code == 404


def test_privacy_stays_in_docshelf(client, site):
    for path in ("/docs/secretive/en/latest/", "/docs/secretive/en/latest/secret.txt",
                 "/_/downloads/secretive/en/latest/htmlzip/", "/_/downloads/secretive/en/latest/tar.gz/"):
        response = client.get(path)
        assert response.status_code in (302, 401, 404), path
        assert SECRET.encode() not in response.data


@pytest.mark.parametrize("path", CORPUS + ["/en/latest/../../secretive/latest/secret.txt",
                                           "/en/latest/%2e%2e/%2e%2e/%2e%2e/secretive/latest/t/"])
def test_traversal_never_reaches_another_key(client, site, path):
    response = client.get("/docs/bucketed" + path)
    assert response.status_code in (302, 400, 404), (path, response.status_code)
    assert SECRET.encode() not in response.data
    assert "X-Injected" not in response.headers


def test_a_local_site_is_not_served_when_storage_is_the_bucket(app, client, site, tmp_path):
    # The session's local storage directory is not consulted once DOCSHELF_STORAGE_URL is set.
    local = storage.backend(storage_dir=app.config["STORAGE_DIR"])
    upload = local.begin("bucketed", "latest", 9)
    upload.commit()
    assert client.get(f"{BASE}/guide.html").data == PAGES["guide.html"].encode()


def test_storage_that_does_not_answer_is_a_503(app, client, site, monkeypatch):
    from tests.s3server import free_port

    monkeypatch.setitem(app.config, "STORAGE_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    response = client.get(f"{BASE}/guide.html")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["code"] == "storage_unavailable"


def test_behind_nginx_the_object_is_handed_over_with_a_presigned_path(app, client, site, s3_settings,
                                                                      monkeypatch):
    import urllib.request

    monkeypatch.setitem(app.config, "DOCS_ACCEL_REDIRECT", "/_bucket/")
    response = client.get(f"{BASE}/guide.html")
    assert response.status_code == 200 and response.data == b""
    target = response.headers["X-Accel-Redirect"]
    assert target.startswith("/_bucket/") and "X-Amz-Signature=" in target
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    # What nginx's internal location does (docs/deploy.md): proxy the rest of the path to the endpoint.
    with urllib.request.urlopen(s3_settings["STORAGE_ENDPOINT_URL"] + target[len("/_bucket"):]) as fetched:
        assert fetched.read() == PAGES["guide.html"].encode()
    denied = client.get("/docs/secretive/en/latest/secret.txt")
    assert "X-Accel-Redirect" not in denied.headers  # access is decided before anything is handed over
