"""Who may publish docs built elsewhere: the ``builds:upload`` scope, the token's projects, maintainers only;
and a file's hash is never a way into another project's files."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from app.services.tokens import create_token
from tests import factories
from tests.api.helpers import assert_error
from tests.uploads import make_site, manifest, send_missing

UPLOADS = "/api/v3/projects/{}/versions/latest/uploads/"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


def _ci_token(user: Any, *projects: Any) -> str:
    _token, key = create_token(user, "ci", scopes=["builds:upload"], project_ids=[p.id for p in projects])
    return key


def test_a_ci_token_with_only_builds_upload_publishes_and_does_nothing_else(client, user, project,
                                                                            tmp_path: Path) -> None:
    other = factories.ProjectFactory(name="Other", slug="other", maintainers=[user])
    headers = _auth(_ci_token(user, project))
    site = make_site(tmp_path / "site", 5)
    upload = client.post(UPLOADS.format("pip"), json={"files": manifest(site)}, headers=headers)
    assert upload.status_code == 201, upload.get_data(as_text=True)
    send_missing(client, site, upload.json, headers)
    published = client.post(upload.json["_links"]["publish"], json={}, headers=headers)
    assert published.status_code == 200 and published.json["build"]["success"] is True
    assert client.get(published.json["_links"]["build"], headers=headers).status_code == 200  # follow it

    patch = client.patch("/api/v3/projects/pip/", json={"homepage": "https://x.example"}, headers=headers)
    assert_error(patch, 403, "insufficient_scope")
    assert_error(client.post("/api/v3/projects/pip/versions/latest/builds/", json={}, headers=headers),
                 403, "insufficient_scope")
    assert_error(client.post("/api/v3/projects/pip/redirects/", json={"type": "page", "from_url": "/a",
                                                                      "to_url": "/b"}, headers=headers),
                 403, "insufficient_scope")
    # Its projects only, though its user maintains the other one too.
    refused = client.post(UPLOADS.format(other.slug), json={"files": manifest(site)}, headers=headers)
    assert refused.status_code in (403, 404)
    assert refused.json["code"] in ("permission_denied", "not_found")


def test_other_people_scopes_and_anonymous_callers_are_refused(client, user, project, other_headers,
                                                               tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", 3)
    files = {"files": manifest(site)}
    assert_error(client.post(UPLOADS.format("pip"), json=files), 401, "auth_required")
    stranger = client.post(UPLOADS.format("pip"), json=files, headers=other_headers)
    assert_error(stranger, 403, "permission_denied")
    _t, narrow = create_token(user, "narrow", scopes=["projects:write", "builds:trigger"])
    unscoped = client.post(UPLOADS.format("pip"), json=files, headers=_auth(narrow))
    assert_error(unscoped, 403, "insufficient_scope")

    owner = _auth(factories.make_token(user))
    upload = client.post(UPLOADS.format("pip"), json=files, headers=owner).json
    item = upload["missing"][0]
    data = (site / item["paths"][0]).read_bytes()
    # A stranger can neither read the session (its upload URLs), nor feed it, nor publish it.
    assert_error(client.get(upload["_links"]["_self"], headers=other_headers), 403, "permission_denied")
    assert_error(client.put(item["upload_url"], data=data, headers=other_headers,
                            content_type="application/octet-stream"), 403, "permission_denied")
    publish = client.post(upload["_links"]["publish"], json={}, headers=other_headers)
    assert_error(publish, 403, "permission_denied")
    assert_error(client.get(upload["_links"]["_self"]), 401, "auth_required")


def test_a_known_hash_never_reaches_another_project_s_files(client, user, project, tmp_path: Path) -> None:
    """Blobs are per project: naming the SHA-256 of a file some other project holds gets nothing."""
    owner = _auth(factories.make_token(user))
    secret = b"<html>private notes of pip</html>"
    entry = [{"path": "index.html", "size": len(secret), "sha256": hashlib.sha256(secret).hexdigest()}]
    first = client.post(UPLOADS.format("pip"), json={"files": entry}, headers=owner).json
    assert client.put(first["missing"][0]["upload_url"], data=secret, headers=owner,
                      content_type="application/octet-stream").status_code == 200

    attacker = factories.UserFactory(username="mallory")
    factories.ProjectFactory(name="Mine", slug="mine", maintainers=[attacker])
    theirs = _auth(factories.make_token(attacker))
    claim = client.post(UPLOADS.format("mine"), json={"files": entry}, headers=theirs).json
    assert claim["missing_count"] == 1  # not "already there"
    published = client.post(claim["_links"]["publish"], json={}, headers=theirs)
    assert assert_error(published, 400, "validation_error")["errors"]["files"] == {
        "index.html": ["The file was never sent."]}
    assert client.get("/docs/mine/en/latest/").status_code == 404


def test_a_published_upload_cannot_be_fed_or_published_again(client, project, token, tmp_path: Path) -> None:
    headers = _auth(token)
    site = make_site(tmp_path / "site", 3)
    upload = client.post(UPLOADS.format("pip"), json={"files": manifest(site)}, headers=headers).json
    send_missing(client, site, upload, headers)
    assert client.post(upload["_links"]["publish"], json={}, headers=headers).status_code == 200
    assert_error(client.post(upload["_links"]["publish"], json={}, headers=headers), 409, "conflict")
    item = upload["missing"][0]
    again = client.put(item["upload_url"], data=(site / item["paths"][0]).read_bytes(), headers=headers,
                       content_type="application/octet-stream")
    assert_error(again, 409, "conflict")


def test_an_upload_s_files_have_their_own_budget(app, client, project, token, tmp_path: Path,
                                                 monkeypatch) -> None:
    """Thousands of file PUTs do not eat the user's API budget, and have a limit of their own (429 with
    Retry-After, which the client waits out: tests/client/test_publish.py)."""
    monkeypatch.setitem(app.config, "RATE_LIMITS_ENABLED", True)
    monkeypatch.setitem(app.config, "RATE_LIMIT_USER", "3/hour")
    monkeypatch.setitem(app.config, "RATE_LIMIT_UPLOAD_FILES", "8/hour")
    headers = _auth(token)
    site = make_site(tmp_path / "site", 10)
    upload = client.post(UPLOADS.format("pip"), json={"files": manifest(site)}, headers=headers).json
    statuses = []
    for item in upload["missing"]:
        answer = client.put(item["upload_url"], data=(site / item["paths"][0]).read_bytes(), headers=headers,
                            content_type="application/octet-stream")
        statuses.append(answer.status_code)
    assert statuses == [200] * 8 + [429, 429]
    assert int(answer.headers["Retry-After"]) > 0 and answer.json["code"] == "rate_limited"
    assert client.get(upload["_links"]["_self"], headers=headers).status_code == 200  # the user's 2nd of 3
