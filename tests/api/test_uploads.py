"""Publishing docs built elsewhere: a manifest, the missing files, publish; served and searchable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import request_finished

from app.models import Build, UploadBlob
from tests.api.helpers import assert_error
from tests.uploads import make_site, manifest, send_missing
from tests.workers.conftest import work

UPLOADS = "/api/v3/projects/pip/versions/latest/uploads/"


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def _start(client: Any, files: list[dict[str, Any]], headers: dict[str, str], url: str = UPLOADS) -> Any:
    return client.post(url, json={"files": files}, headers=headers)


def test_a_300_file_site_published_then_republished_sending_only_3_files(app, client, project, token,
                                                                          tmp_path: Path) -> None:
    headers = _headers(token)
    site = make_site(tmp_path / "site", 300)
    puts: list[str] = []

    def seen(_sender: Any, response: Any, **_extra: Any) -> None:
        from flask import request

        if request.method == "PUT" and "/files/" in request.path and response.status_code == 200:
            puts.append(request.path)

    with request_finished.connected_to(seen, app):
        first = _start(client, manifest(site), headers)
        assert first.status_code == 201, first.get_data(as_text=True)
        opened = first.json
        assert opened["files"] == 300 and opened["missing_count"] == 300 and opened["state"] == "open"
        send_missing(client, site, first.json, headers)
        assert client.get(first.json["_links"]["_self"], headers=headers).json["missing_count"] == 0
        published = client.post(first.json["_links"]["publish"], json={}, headers=headers)
        assert published.status_code == 200, published.get_data(as_text=True)
        assert len(puts) == 300

        body = published.json
        assert body["state"] == "published" and body["missing"] == []
        build = body["build"]
        assert build["kind"] == "upload" and build["state"]["code"] == "finished" and build["success"] is True
        listed = client.get("/api/v3/projects/pip/builds/", headers=headers).json["results"]
        assert [(b["id"], b["kind"]) for b in listed] == [(build["id"], "upload")]
        log = client.get(f"/api/v3/projects/pip/builds/{build['id']}/log.txt", headers=headers)
        text = log.get_data(as_text=True)
        assert "300 files" in text and "Sent for this upload: 300 files" in text

        page = client.get("/docs/pip/en/latest/guide/page-3.html")
        assert page.status_code == 200 and b"Page 3 explains part 3" in page.data
        assert client.get("/docs/pip/en/latest/").status_code == 200

        work()  # the search indexing the publish queued
        found = client.get("/api/v3/search/?q=project:pip zanzibarite").json
        assert found["count"] == 1 and found["results"][0]["path"].endswith("guide/page-7.html")

        # Three files change; the other 297 are never sent again.
        for name in ("guide/page-3.html", "guide/page-4.html", "_static/style-9.css"):
            (site / name).write_text((site / name).read_text().replace("part", "PART") + "<!-- v2 -->")
        puts.clear()
        second = _start(client, manifest(site), headers)
        assert second.json["missing_count"] == 3
        assert sorted(p for m in second.json["missing"] for p in m["paths"]) == [
            "_static/style-9.css", "guide/page-3.html", "guide/page-4.html"]
        send_missing(client, site, second.json, headers)
        again = client.post(second.json["_links"]["publish"], json={}, headers=headers)
        assert again.status_code == 200, again.get_data(as_text=True)
    assert len(puts) == 3
    assert b"Page 3 explains PART 3" in client.get("/docs/pip/en/latest/guide/page-3.html").data
    second_id = again.json["build"]["id"]
    second_log = client.get(f"/api/v3/projects/pip/builds/{second_id}/log.txt", headers=headers)
    assert "Sent for this upload: 3 files" in second_log.get_data(as_text=True)
    assert "not sent again: 297" in second_log.get_data(as_text=True)
    assert Build.query.filter_by(kind="upload").count() == 2


def test_a_path_traversal_manifest_is_refused(client, project, token) -> None:
    digest = "0" * 64
    bad = ["../outside.html", "/etc/passwd", "a\\b.html", "guide/./x.html", "guide//x.html", "tab\there.html",
           "nul\x01.html", "guide/..", ""]
    files = [{"path": p, "size": 1, "sha256": digest} for p in bad]
    files += [{"path": p, "size": 1, "sha256": digest}
              for p in ("ok.html", "ok.html", "dir", "dir/child.html")]
    answer = _start(client, files, _headers(token))
    body = assert_error(answer, 400, "validation_error")
    refused = set(body["errors"]["files"])
    assert refused >= {"../outside.html", "/etc/passwd", "a\\b.html", "guide/./x.html", "guide//x.html",
                       "tab\there.html", "nul\x01.html", "guide/..", "ok.html", "dir"}
    assert "../outside.html" in body["detail"]
    bad_digest = _start(client, [{"path": "x.html", "size": 1, "sha256": "XYZ"}], _headers(token))
    assert bad_digest.status_code == 400


def test_publish_with_a_missing_file_is_refused(client, project, token, tmp_path: Path) -> None:
    headers = _headers(token)
    site = make_site(tmp_path / "site", 12)
    upload = _start(client, manifest(site), headers).json
    upload["missing"] = [m for m in upload["missing"] if m["paths"] != ["guide/page-5.html"]]
    send_missing(client, site, upload, headers)
    answer = client.post(upload["_links"]["publish"], json={}, headers=headers)
    body = assert_error(answer, 400, "validation_error")
    assert body["errors"]["files"] == {"guide/page-5.html": ["The file was never sent."]}
    assert client.get(upload["_links"]["_self"], headers=headers).json["state"] == "open"
    assert client.get("/docs/pip/en/latest/").status_code == 404
    assert Build.query.count() == 0


def test_hash_mismatch_and_oversize_bodies_are_refused(app, client, project, token, monkeypatch) -> None:
    headers = _headers(token)
    real = b"<html>the real page</html>"
    import hashlib

    digest = hashlib.sha256(real).hexdigest()
    upload = _start(client, [{"path": "index.html", "size": len(real), "sha256": digest}], headers).json
    url = upload["missing"][0]["upload_url"]
    forged = b"<html>the fake page!</html>"[: len(real)]
    mismatch = client.put(url, data=forged, headers=headers, content_type="application/octet-stream")
    assert_error(mismatch, 400, "hash_mismatch")
    longer = client.put(url, data=real + b"extra", headers=headers, content_type="application/octet-stream")
    assert_error(longer, 400, "validation_error")
    assert UploadBlob.query.count() == 0 and client.get(upload["_links"]["_self"], headers=headers).json[
        "missing_count"] == 1
    other = client.put(url.replace(digest, "1" * 64), data=real, headers=headers,
                       content_type="application/octet-stream")
    assert_error(other, 404, "not_found")
    as_json = client.put(url, json={"x": 1}, headers=headers)
    assert as_json.status_code == 415
    ok = client.put(url, data=real, headers=headers, content_type="application/octet-stream")
    assert ok.status_code == 200 and ok.json["stored"] is True

    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 100)
    too_big = _start(client, [{"path": "big.bin", "size": 101, "sha256": digest}], headers)
    assert "big.bin" in assert_error(too_big, 400, "validation_error")["errors"]["files"]
    total = _start(client, [{"path": f"f{n}.bin", "size": 60, "sha256": digest} for n in range(2)], headers)
    assert "200" not in assert_error(total, 400, "validation_error")["detail"]
    monkeypatch.setitem(app.config, "UPLOAD_MAX_FILES", 3)
    many = _start(client, [{"path": f"f{n}.bin", "size": 1, "sha256": digest} for n in range(4)], headers)
    assert "one upload may hold 3" in assert_error(many, 400, "validation_error")["detail"]


def test_files_of_the_site_a_build_published_are_not_sent_again(client, project, token,
                                                              tmp_path: Path) -> None:
    """The version's live site (here published the way a build publishes, with its manifest) counts as
    present: only new or changed files are asked for, the rest is copied from the site and checked."""
    from app.extensions import db
    from tests import factories
    from workers import manifest as site_manifest
    from workers import publish

    built = make_site(tmp_path / "built", 30)
    build = factories.BuildFactory(version=project.versions[0], state="finished", success=True)
    publish.publish("pip", "latest", str(built), {}, build.id, root=str(tmp_path))
    build.manifest = site_manifest.of_site(str(built), root=str(tmp_path))
    project.versions[0].built = True
    db.session.commit()

    (built / "guide" / "page-1.html").write_text("<html><body><p>Rewritten elsewhere</p></body></html>")
    (built / "extra.html").write_text("<html><body><p>A new page</p></body></html>")
    headers = _headers(token)
    upload = _start(client, manifest(built), headers).json
    assert sorted(p for m in upload["missing"] for p in m["paths"]) == ["extra.html", "guide/page-1.html"]
    send_missing(client, built, upload, headers)
    published = client.post(upload["_links"]["publish"], json={}, headers=headers)
    assert published.status_code == 200, published.get_data(as_text=True)
    assert b"Rewritten elsewhere" in client.get("/docs/pip/en/latest/guide/page-1.html").data
    assert b"Page 2 explains" in client.get("/docs/pip/en/latest/guide/page-2.html").data
    assert UploadBlob.query.count() == 31


def test_a_publish_the_storage_fails_leaves_the_live_site_alone(app, client, project, token,
                                                                  tmp_path: Path) -> None:
    """Readers never see half a site: a blob lost from storage fails the publish in the middle (503,
    the build failed, the session open again) and the previous site stays live, whole."""
    import os

    from app.storage.local import blob_path

    headers = _headers(token)
    site = make_site(tmp_path / "site", 20)
    first = _start(client, manifest(site), headers).json
    send_missing(client, site, first, headers)
    assert client.post(first["_links"]["publish"], json={}, headers=headers).status_code == 200

    (site / "guide" / "page-1.html").write_text("<p>new one</p>")
    second = _start(client, manifest(site), headers).json
    send_missing(client, site, second, headers)
    lost = next(f for f in manifest(site) if f["path"] == "guide/page-8.html")
    os.unlink(blob_path(app.config["STORAGE_DIR"], "pip", lost["sha256"]))
    failed = client.post(second["_links"]["publish"], json={}, headers=headers)
    assert_error(failed, 503, "retryable_error")
    assert client.get(second["_links"]["_self"], headers=headers).json["state"] == "open"
    newest = Build.query.order_by(Build.id.desc()).first()
    assert newest.kind == "upload" and newest.success is False and newest.state == "finished"
    assert b"Page 1 explains" in client.get("/docs/pip/en/latest/guide/page-1.html").data
    assert client.get("/docs/pip/en/latest/guide/page-8.html").status_code == 200
    leftovers = os.listdir(os.path.join(app.config["STORAGE_DIR"], "pip"))
    assert not [n for n in leftovers if n.startswith(".staging")]
