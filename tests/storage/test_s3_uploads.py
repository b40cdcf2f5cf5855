"""Publishing docs built elsewhere with object storage (moto's S3 server on 127.0.0.1): the client PUTs
each missing file straight to the bucket through a presigned URL, and Docshelf reads it back and checks
its SHA-256 and size before it becomes a blob; the site is then copied inside the bucket and served."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

from app import storage
from app.models import UploadBlob
from tests import factories
from tests.api.helpers import assert_error
from tests.uploads import make_site, manifest
from tests.workers.conftest import work

UPLOADS = "/api/v3/projects/pip/versions/latest/uploads/"


def _put(url: str, data: bytes) -> int:
    """A plain HTTP PUT with no credentials of Docshelf's (what a CI job sends to a presigned URL)."""
    request = urllib.request.Request(url, data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the test's own server
        return int(response.status)


def _send(site: Path, upload: dict[str, Any], s3_endpoint: str, forged: str | None = None) -> None:
    for item in upload["missing"]:
        assert item["upload_to"] == "storage" and item["upload_url"].startswith(s3_endpoint)
        data = (site / item["paths"][0]).read_bytes()
        if item["paths"][0] == forged:
            data = data.replace(b"Page", b"Fake")
        assert _put(item["upload_url"], data) == 200


def test_presigned_uploads_are_checked_published_and_served(client, user, s3_settings, s3_endpoint,
                                                            tmp_path: Path) -> None:
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    headers = {"Authorization": f"Token {factories.make_token(user)}"}
    site = make_site(tmp_path / "site", 20)

    upload = client.post(UPLOADS, json={"files": manifest(site)}, headers=headers).json
    assert upload["missing_count"] == 20
    _send(site, upload, s3_endpoint, forged="guide/page-3.html")
    refused = client.post(upload["_links"]["publish"], json={}, headers=headers)
    body = assert_error(refused, 400, "validation_error")
    assert list(body["errors"]["files"]) == ["guide/page-3.html"]  # read back, hashed, thrown away
    assert client.get("/docs/pip/en/latest/").status_code == 404

    again = client.get(upload["_links"]["_self"], headers=headers).json
    assert [m["paths"] for m in again["missing"]] == [["guide/page-3.html"]]  # the 19 good ones were kept
    _send(site, again, s3_endpoint)
    index = next(m for m in upload["missing"] if m["paths"] == ["index.html"])
    assert _put(index["upload_url"], (site / "index.html").read_bytes()) == 200  # sent twice: a leftover
    published = client.post(upload["_links"]["publish"], json={}, headers=headers)
    assert published.status_code == 200, published.get_data(as_text=True)
    assert published.json["build"]["kind"] == "upload" and published.json["build"]["success"] is True
    assert UploadBlob.query.count() == 20
    pending = storage.backend().client.list_objects_v2(  # type: ignore[attr-defined]
        Bucket=s3_settings["STORAGE_URL"].split("/")[2], Prefix="docshelf/sites/pip/.pending/")
    assert pending["KeyCount"] == 0  # the leftover was discarded with the publish

    page = client.get("/docs/pip/en/latest/guide/page-3.html")
    assert page.status_code == 200 and b"Page 3 explains part 3" in page.data
    work()
    found = client.get("/api/v3/search/?q=project:pip zanzibarite").json
    assert found["count"] == 1

    # Unchanged files are not asked for again; the changed one goes to the bucket too.
    (site / "index.html").write_text("<html><body><p>New home</p></body></html>")
    second = client.post(UPLOADS, json={"files": manifest(site)}, headers=headers).json
    assert [m["paths"] for m in second["missing"]] == [["index.html"]]
    _send(site, second, s3_endpoint)
    assert client.post(second["_links"]["publish"], json={}, headers=headers).status_code == 200
    assert b"New home" in client.get("/docs/pip/en/latest/").data
