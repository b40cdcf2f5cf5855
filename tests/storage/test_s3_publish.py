"""Publishing to object storage (moto's S3 server on 127.0.0.1): versioned prefixes, the pointer
switched last, a failed publish that leaves the last good version alone, and retired prefixes
deleted after the retention period."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from app import storage
from app.storage.s3 import S3Storage
from tests.storage.conftest import build_ended
from workers import publish


def _output(tmp_path: Path, name: str, pages: dict[str, str]) -> Path:
    html = tmp_path / name / "html"
    for relative, text in pages.items():
        (html / relative).parent.mkdir(parents=True, exist_ok=True)
        (html / relative).write_text(text)
    return html


def _publish(tmp_path: Path, project: str, version: str, pages: dict[str, str], build_id: int) -> None:
    html = _output(tmp_path, f"{project}-{version}-{build_id}", pages)
    publish.publish(project, version, str(html), {}, build_id, root=str(tmp_path))
    build_ended()


def _backend() -> S3Storage:
    backend = storage.backend()
    assert isinstance(backend, S3Storage)
    return backend


def _keys(backend: S3Storage) -> list[str]:
    return [item["Key"] for page in backend._list(backend.prefix) for item in page.get("Contents", [])]


def _read(backend: S3Storage, project: str, version: str, filename: str) -> bytes | None:
    found = backend.find(project, version, filename)
    if found is None or found.needs_slash:
        return None
    with backend.open(found) as fh:
        return bytes(fh.read())


def test_publish_puts_the_site_and_downloads_under_a_new_prefix(s3_settings, tmp_path):
    html = _output(tmp_path, "out", {"index.html": "<h1>home</h1>", "sub/index.html": "sub",
                                     "_static/app.css": "body{}", "page.html": "page"})
    zipped = tmp_path / "out" / "p.zip"
    zipped.write_bytes(b"PK zip bytes")
    result = publish.publish("p", "latest", str(html), {"htmlzip": str(zipped)}, 7, root=str(tmp_path))
    build_ended()
    backend = _backend()
    tag = backend.live_tag("p", "latest")
    assert tag is not None and tag.split("-")[1] == "b7"
    assert result.path == f"s3://{backend.bucket}/docshelf/sites/p/latest/t/{tag}/"
    assert (result.files, result.pages, result.downloads) == (4, 3, ["htmlzip"])
    assert _read(backend, "p", "latest", "") == b"<h1>home</h1>"
    assert _read(backend, "p", "latest", "sub/") == b"sub"
    found = backend.find("p", "latest", "sub")
    assert found is not None and found.needs_slash  # a "directory" asks for its slash, as on disk
    assert backend.find("p", "latest", "page.html/") is None
    assert backend.find("p", "latest", "missing.html") is None
    assert backend.find("p", "other", "index.html") is None
    download = backend.download("p", "latest", "p.zip")
    assert download is not None and download.stored is not None and download.stored.size == 12
    names = [name for _found, name in backend.site_files("p", "latest")]
    assert names == ["_static/app.css", "index.html", "page.html", "sub/index.html"]
    key = f"docshelf/sites/p/latest/t/{tag}/html/index.html"
    head = backend.client.head_object(Bucket=backend.bucket, Key=key)
    assert head["ContentType"] == "text/html"


def test_a_new_build_switches_the_pointer_and_retires_the_old_prefix(s3_settings, tmp_path):
    _publish(tmp_path, "p", "latest", {"index.html": "one", "a.html": "a"}, 1)
    backend = _backend()
    first = backend.live_tag("p", "latest")
    _publish(tmp_path, "p", "latest", {"index.html": "two"}, 2)
    second = backend.live_tag("p", "latest")
    assert second != first
    assert _read(backend, "p", "latest", "index.html") == b"two"
    assert backend.find("p", "latest", "a.html") is None  # a reader sees the new version only
    keys = _keys(backend)
    # The old prefix stays for readers that resolved the pointer before the switch, marked retired.
    assert f"docshelf/sites/p/latest/t/{first}/html/a.html" in keys
    assert f"docshelf/sites/p/latest/retired/{first}" in keys
    assert backend.clean_up("p", "latest") == []  # within the retention: kept
    assert backend.clean_up("p", "latest", now=time.time() + 3601) == [first]
    keys = _keys(backend)
    assert not any(f"/{first}" in key for key in keys)
    assert f"docshelf/sites/p/latest/t/{second}/html/index.html" in keys  # never the live one


def test_a_failed_publish_leaves_the_last_good_version_alone(s3_settings, tmp_path):
    _publish(tmp_path, "p", "latest", {"index.html": "good"}, 1)
    backend = _backend()
    good = backend.live_tag("p", "latest")
    before = _keys(backend)
    html = _output(tmp_path, "bad", {"index.html": "bad", "more.html": "more"})
    # An unknown download format fails the publish after the site's objects went up.
    with pytest.raises(KeyError):
        publish.publish("p", "latest", str(html), {"bogus": str(html / "more.html")}, 2, root=str(tmp_path))
    build_ended()
    assert backend.live_tag("p", "latest") == good
    assert _read(backend, "p", "latest", "index.html") == b"good"
    assert _keys(backend) == before  # the failed upload's objects are gone


def test_an_upload_abandoned_by_a_dead_worker_is_deleted_later(s3_settings, tmp_path):
    _publish(tmp_path, "p", "latest", {"index.html": "good"}, 1)
    backend = _backend()
    upload = backend.begin("p", "latest", 2)  # a worker killed mid-upload: no commit, no abort
    fd = os.open(_output(tmp_path, "half", {"index.html": "half"}) / "index.html", os.O_RDONLY)
    try:
        upload.put("html", "index.html", fd)
    finally:
        os.close(fd)
    upload.pool.shutdown(wait=True)  # type: ignore[attr-defined]
    assert _read(backend, "p", "latest", "index.html") == b"good"
    assert backend.clean_up("p", "latest") == []  # it could still be a running upload
    later = time.time() + backend.abandon_after + 1
    assert backend.clean_up("p", "latest", now=later) == [upload.location.rstrip("/").rsplit("/", 1)[1]]
    assert _read(backend, "p", "latest", "index.html") == b"good"


def test_removing_a_version_or_a_project_deletes_its_objects(s3_settings, tmp_path):
    for version in ("1.0", "1.0-beta"):
        _publish(tmp_path, "p", version, {"index.html": version}, 1)
    _publish(tmp_path, "q", "latest", {"index.html": "q"}, 2)
    storage.remove_version("p", "1.0")
    backend = _backend()
    assert backend.find("p", "1.0", "") is None
    assert _read(backend, "p", "1.0-beta", "") == b"1.0-beta"  # a prefix of its name is another version
    storage.remove_project("p")
    assert [key for key in _keys(backend) if "/sites/p/" in key] == []
    assert _read(backend, "q", "latest", "") == b"q"


@pytest.mark.parametrize("filename", ["../q/latest/t/x/html/index.html", "a/../../b", "./index.html", "a//b"])
def test_the_backend_refuses_dot_segments_itself(s3_settings, tmp_path, filename):
    _publish(tmp_path, "p", "latest", {"index.html": "p"}, 1)
    assert _backend().find("p", "latest", filename) is None
    assert _backend().download("p", "latest", filename) is None


def test_a_bad_storage_url_is_named(app, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_URL", "https://bucket/prefix")
    with pytest.raises(storage.StorageURLError, match="s3://bucket/prefix"):
        storage.backend()


def test_readers_reuse_the_pointer_until_the_build_ends(s3_settings, tmp_path):
    _publish(tmp_path, "p", "latest", {"index.html": "one"}, 1)
    assert _read(_backend(), "p", "latest", "") == b"one"
    publish.publish("p", "latest", str(_output(tmp_path, "two", {"index.html": "two"})), {}, 2,
                    root=str(tmp_path))
    # Switched, but the build has not ended (its row still says the old build): the old tag, still whole.
    assert _read(_backend(), "p", "latest", "") == b"one"
    assert _backend().live_tag("p", "latest", fresh=True) != _backend().live_tag("p", "latest")
    build_ended()
    assert _read(_backend(), "p", "latest", "") == b"two"
