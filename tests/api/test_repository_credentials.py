"""Issue 13: ``repository.credentials`` is write-only; URLs that carry a token are masked everywhere.

The finding: the only way to clone a private repository was a token inside the URL, and
``repository.url`` and ``urls.vcs`` returned it to anyone who could read the project.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from app.crypto import decrypt
from app.extensions import db
from app.models import AuditEvent, Project
from tests import factories
from tests.api.helpers import assert_error

TOKEN = "glpat-" + "x7Yq2" * 6
URL = "https://git.example.com/org/private.git"
NONE = {"kind": None, "set": False}


@pytest.fixture
def project(user):
    return factories.ProjectFactory(name="Priv", repository_url=URL, maintainers=[user])


def _patch(client, headers, repository):
    return client.patch("/api/v3/projects/priv/", json={"repository": repository}, headers=headers)


def _refused(response) -> str:
    return str(assert_error(response, 400, "invalid_repository_credentials")["detail"])


def _stored() -> Project:
    db.session.expire_all()
    return db.session.scalar(select(Project).where(Project.slug == "priv"))


def _key(tmp_path: Path, passphrase: str = "") -> str:
    path = tmp_path / f"id{len(passphrase)}"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)], check=True)
    return path.read_text()


def test_a_token_is_write_only_and_encrypted(client, headers, project):
    assert client.get("/api/v3/projects/priv/").json["repository"]["credentials"] == NONE
    response = _patch(client, headers, {"credentials": {"token": TOKEN, "username": "oauth2"}})
    assert response.status_code == 204 and response.data == b""
    for path in ("/api/v3/projects/priv/", "/api/v3/projects/", "/api/v3/projects/priv/versions/latest/"):
        body = client.get(path, headers=headers).get_data(as_text=True)
        assert TOKEN not in body and "oauth2" not in body, path
    shown = client.get("/api/v3/projects/priv/").json["repository"]
    assert shown == {"url": URL, "type": "git", "credentials": {"kind": "token", "set": True}}
    stored = _stored()
    assert TOKEN not in (stored.repository_credentials_encrypted or "")
    assert json.loads(decrypt(stored.repository_credentials_encrypted or "")) == {
        "secret": TOKEN, "username": "oauth2"}
    assert _patch(client, headers, {"credentials": None}).status_code == 204
    assert client.get("/api/v3/projects/priv/").json["repository"]["credentials"] == NONE
    assert _stored().repository_credentials_encrypted is None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("repository.%"))
                                .order_by(AuditEvent.id))
    assert [(e.action, e.actor, e.project, e.target) for e in events] == [
        ("repository.credentials_set", "alice", "priv", "token"),
        ("repository.credentials_removed", "alice", "priv", None)]
    assert TOKEN not in json.dumps([e.details for e in db.session.scalars(select(AuditEvent))])


def test_create_with_an_ssh_key(client, headers, tmp_path):
    body = {"name": "Keyed", "repository": {"url": "git@github.com:org/docs.git",
                                            "credentials": {"ssh_key": _key(tmp_path)}}}
    created = client.post("/api/v3/projects/", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["repository"]["credentials"] == {"kind": "ssh_key", "set": True}
    assert "PRIVATE KEY" not in created.get_data(as_text=True)


@pytest.mark.parametrize(("credentials", "field"), [
    ({}, None),
    ({"token": TOKEN, "ssh_key": "x"}, None),
    ({"username": "only"}, None),
    ({"token": "with space"}, "token"),
    ({"token": ""}, "token"),
    ({"token": TOKEN, "username": "a:b"}, "username"),
    ({"ssh_key": "not a key"}, "ssh_key"),
])
def test_invalid_credentials_are_refused_with_nested_errors(client, headers, project, credentials, field):
    error = assert_error(_patch(client, headers, {"credentials": credentials}), 400,
                         "invalid_repository_credentials")
    nested = error["errors"]["repository"]["credentials"]
    assert (nested[field] if field else nested)
    assert _stored().repository_credentials_kind is None


def test_a_key_with_a_passphrase_is_refused(client, headers, project, tmp_path):
    _patch(client, headers, {"url": "ssh://git@github.com/org/docs.git", "credentials": None})
    locked = {"credentials": {"ssh_key": _key(tmp_path, "hunter22")}}
    assert "passphrase" in _refused(_patch(client, headers, locked))


def test_credentials_must_fit_the_url(client, headers, project, tmp_path, strict_local):
    assert "ssh URL" in _refused(_patch(client, headers, {"credentials": {"ssh_key": _key(tmp_path)}}))
    ssh = {"url": "git@github.com:org/docs.git", "credentials": {"token": TOKEN}}
    assert "https" in _refused(_patch(client, headers, ssh))
    plain = {"url": "http://git.example.com/org/docs.git", "credentials": {"token": TOKEN}}
    assert "https" in _refused(_patch(client, headers, plain))


@pytest.fixture
def strict_local(app, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOW_LOCAL_REPOSITORIES", False)


def test_moving_to_another_host_needs_the_credentials_again(client, headers, project):
    """Otherwise a co-maintainer (or a narrow token) could point the URL at a server of theirs and read
    the token off the build's clone."""
    assert _patch(client, headers, {"credentials": {"token": TOKEN}}).status_code == 204
    moved = {"url": "https://attacker.example.net/org/private.git"}
    error = assert_error(_patch(client, headers, moved), 400, "invalid_repository_credentials")
    assert "another host" in error["detail"] and _stored().repository_url == URL
    same_host = {"url": "https://git.example.com/org/renamed.git"}
    assert _patch(client, headers, same_host).status_code == 204
    assert _stored().repository_credentials_kind == "token"
    assert _patch(client, headers, {**moved, "credentials": None}).status_code == 204
    assert (_stored().repository_url, _stored().repository_credentials_kind) == (moved["url"], None)


def test_a_token_in_a_new_url_moves_into_the_credentials(client, headers, project):
    with_token = {"url": f"https://ci-bot:{TOKEN}@git.example.com/org/x.git"}
    assert _patch(client, headers, with_token).status_code == 204
    stored = _stored()
    assert stored.repository_url == "https://git.example.com/org/x.git"
    assert json.loads(decrypt(stored.repository_credentials_encrypted or "")) == {
        "secret": TOKEN, "username": "ci-bot"}
    both = {"url": f"https://u:{TOKEN}@git.example.com/y.git", "credentials": {"token": "other"}}
    assert_error(_patch(client, headers, both), 400, "invalid_repository_credentials")


def test_an_old_url_with_a_token_is_masked_everywhere(client, user, headers):
    url = f"https://bot:{TOKEN}@git.example.com/org/old.git"
    factories.ProjectFactory(name="Priv", repository_url=url, maintainers=[user])
    project = client.get("/api/v3/projects/priv/").json
    assert project["repository"]["url"] == "https://***@git.example.com/org/old.git"
    version = client.get("/api/v3/projects/priv/versions/latest/").json
    assert version["urls"]["vcs"] == "https://git.example.com/org/old/tree/main"
    for path in ("/api/v3/projects/priv/", "/api/v3/projects/priv/versions/", "/api/v3/projects/"):
        assert TOKEN not in client.get(path, headers=headers).get_data(as_text=True), path
    # A client that sends back what it read does not overwrite the stored URL with the mask.
    assert _patch(client, headers, {"url": project["repository"]["url"]}).status_code == 204
    assert _stored().repository_url == url
    shown = client.get("/api/v3/projects/priv/?fields=repository.url").json["repository"]["url"]
    assert shown.count("***") == 1


def test_only_maintainers_set_credentials(client, project, make_other_headers):
    assert _patch(client, {}, {"credentials": {"token": TOKEN}}).status_code == 401
    assert _patch(client, make_other_headers(), {"credentials": {"token": TOKEN}}).status_code == 403


@pytest.fixture
def make_other_headers():
    def make():
        return {"Authorization": f"Token {factories.make_token(factories.UserFactory(username='mallory'))}"}

    return make
