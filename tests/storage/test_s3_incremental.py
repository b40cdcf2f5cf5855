"""Republishing to object storage sends only what changed: files whose SHA-256 is the live version's
are copied inside the bucket (CopyObject) into the new upload, the others are put. The new upload is
still complete before the pointer switch, so readers see one version or the other, never a mix.

Requests are counted on the real boto3 client through botocore's own event hooks (what really went to
moto's S3 server on 127.0.0.1), not a stand-in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import storage
from app.storage import s3_upload
from app.storage.s3 import S3Storage
from tests.storage.conftest import build_ended
from workers import publish

PAGES = {f"page{n}.html": f"<p>page {n}</p>" for n in range(8)} | {"_static/app.css": "body{}",
                                                                  "index.html": "<h1>home</h1>"}


class Calls:
    """The keys of every PutObject and CopyObject the storage's client sends."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.put: list[str] = []
        self.copied: list[str] = []

    def record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("PutObject", "CopyObject"):
            (self.put if model.name == "PutObject" else self.copied).append(params["Key"])

    def files(self, keys: list[str]) -> list[str]:
        """The site's files among ``keys`` (not the pointer, the retired marks or the hashes)."""
        return sorted(key.split("/html/", 1)[1] for key in keys if "/html/" in key)


@pytest.fixture
def calls(s3_settings: dict[str, Any]) -> Iterator[Calls]:
    backend = storage.backend()
    assert isinstance(backend, S3Storage)
    counter = Calls(backend.client)
    events = backend.client.meta.events
    events.register("provide-client-params.s3.*", counter.record, unique_id="docshelf-test-calls")
    try:
        yield counter
    finally:
        events.unregister("provide-client-params.s3.*", unique_id="docshelf-test-calls")


def _publish(tmp_path: Path, pages: dict[str, str], build_id: int) -> publish.Published:
    html = tmp_path / f"build{build_id}" / "html"
    for relative, text in pages.items():
        (html / relative).parent.mkdir(parents=True, exist_ok=True)
        (html / relative).write_text(text)
    result = publish.publish("p", "latest", str(html), {}, build_id, root=str(tmp_path))
    build_ended()
    return result


def _site(backend: S3Storage) -> dict[str, str]:
    out = {}
    for found, name in backend.site_files("p", "latest"):
        with backend.open(found) as fh:
            out[name] = fh.read().decode()
    return out


def test_a_republish_with_three_changed_files_puts_three_files(calls, tmp_path):
    first = _publish(tmp_path, PAGES, 1)
    assert calls.files(calls.put) == sorted(PAGES) and calls.copied == [] and first.reused == 0
    calls.put.clear()
    changed = {"index.html": "<h1>new home</h1>", "page3.html": "<p>page three</p>", "_static/app.css": "p{}"}
    second = _publish(tmp_path, {**PAGES, **changed}, 2)
    assert calls.files(calls.put) == sorted(changed)  # only these three files' bytes were sent
    assert calls.files(calls.copied) == sorted(set(PAGES) - set(changed))
    assert second.reused == len(PAGES) - 3 and "7 unchanged files were kept" in second.summary()
    backend = storage.backend()
    assert isinstance(backend, S3Storage)
    assert _site(backend) == {**PAGES, **changed}  # the new upload is complete on its own
    tag = backend.live_tag("p", "latest")
    assert tag is not None and tag.split("-")[1] == "b2"


def test_deleted_and_added_files(calls, tmp_path):
    _publish(tmp_path, PAGES, 1)
    calls.put.clear()
    pages = {k: v for k, v in PAGES.items() if k != "page0.html"} | {"new.html": "<p>new</p>"}
    _publish(tmp_path, pages, 2)
    assert calls.files(calls.put) == ["new.html"]
    backend = storage.backend()
    assert isinstance(backend, S3Storage)
    assert _site(backend) == pages and backend.find("p", "latest", "page0.html") is None


def test_large_files_are_compared_too(calls, tmp_path, monkeypatch):
    monkeypatch.setattr(s3_upload, "_MAX_INLINE", 16)  # every page here goes up the streaming way
    _publish(tmp_path, PAGES, 1)
    calls.put.clear()
    _publish(tmp_path, {**PAGES, "page5.html": "<p>page five, longer</p>"}, 2)
    assert calls.files(calls.put) == ["page5.html"]
    backend = storage.backend()
    assert isinstance(backend, S3Storage)
    assert _site(backend) == {**PAGES, "page5.html": "<p>page five, longer</p>"}


def test_a_missing_source_is_uploaded_instead(calls, tmp_path):
    """A copy source gone (retired by a concurrent publish, deleted by hand) is not a failed publish."""
    _publish(tmp_path, PAGES, 1)
    backend = storage.backend()
    assert isinstance(backend, S3Storage)
    tag = backend.live_tag("p", "latest", fresh=True)
    backend.client.delete_object(Bucket=backend.bucket, Key=f"{backend.version_prefix('p', 'latest')}t/{tag}/"
                                                            "html/page1.html")
    calls.put.clear()
    _publish(tmp_path, PAGES, 2)
    assert calls.files(calls.put) == ["page1.html"]
    assert _site(backend) == PAGES


def test_a_live_upload_without_hashes_is_uploaded_whole(calls, tmp_path):
    """Sites published before the hashes were kept (or with a damaged hash file) are sent again."""
    _publish(tmp_path, PAGES, 1)
    backend = storage.backend()
    assert isinstance(backend, S3Storage)
    tag = backend.live_tag("p", "latest", fresh=True)
    key = f"{backend.version_prefix('p', 'latest')}t/{tag}/{s3_upload.HASHES}"
    backend.client.put_object(Bucket=backend.bucket, Key=key, Body=b"not json")
    calls.put.clear()
    _publish(tmp_path, PAGES, 2)
    assert calls.files(calls.put) == sorted(PAGES) and calls.copied == []


def test_files_adopted_from_blobs_are_not_counted_as_kept_from_the_live_upload(calls, tmp_path):
    """An upload's files (docs built elsewhere) are copied from the project's blobs: not "unchanged
    files kept from the live version", which only a worker's republish reports."""
    import hashlib

    from app.storage.s3_blobs import blob_key

    backend = storage.backend()
    assert isinstance(backend, S3Storage)
    body = b"<p>built elsewhere</p>"
    digest = hashlib.sha256(body).hexdigest()
    backend.client.put_object(Bucket=backend.bucket, Key=blob_key(backend, "p", digest), Body=body)
    upload = backend.begin("p", "latest", 3)
    upload.put_blob("html", "index.html", "p", digest)
    upload.commit()
    assert upload.reused == 0
    assert calls.files(calls.copied) == ["index.html"]
    assert _site(backend) == {"index.html": body.decode()}
