"""/projects/<p>/maintainers/ and /grants/: many maintainers per project, read-only sharing."""

from __future__ import annotations

from tests import factories
from tests.api.helpers import assert_error, token_headers

M = "/api/v3/projects/pip/maintainers/"
G = "/api/v3/projects/pip/grants/"


def test_maintainers_list_add_remove(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    bob = factories.UserFactory(username="bob")
    listed = client.get(M).json
    assert listed["count"] == 1 and listed["results"][0]["username"] == "alice"
    added = client.post(M, json={"username": "bob"}, headers=headers)
    # an invitation, not yet a maintainer (tests/api/test_invitations.py): bob accepts it
    assert added.status_code == 202 and added.json["username"] == "bob" and added.json["state"] == "pending"
    assert added.headers["Location"] == added.json["_links"]["_self"]
    assert_error(client.get(f"{M}bob/"), 404, "not_found")
    accept = f"/api/v3/invitations/{added.json['id']}/accept/"
    assert client.post(accept, json={}, headers=token_headers(bob)).status_code == 200
    assert client.get(f"{M}bob/").json["_links"]["project"] == "http://localhost/api/v3/projects/pip/"
    # bob is a maintainer now: he can write
    assert (
        client.patch("/api/v3/projects/pip/", json={"tags": ["b"]}, headers=token_headers(bob)).status_code
        == 204
    )
    assert [u["username"] for u in client.get("/api/v3/projects/pip/").json["users"]] == ["alice", "bob"]
    assert_error(client.post(M, json={"username": "bob"}, headers=headers), 409, "conflict")
    assert client.delete(f"{M}alice/", headers=headers).status_code == 204
    assert_error(client.delete(f"{M}bob/", headers=token_headers(bob)), 409, "conflict")  # the last one stays
    assert_error(client.patch("/api/v3/projects/pip/", json={}, headers=headers), 403, "permission_denied")


def test_maintainer_errors(client, user, headers):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    factories.UserFactory(username="vic", role="viewer")
    assert_error(client.post(M, json={"username": "nobody"}, headers=headers), 400, "validation_error")
    assert_error(client.post(M, json={"username": "vic"}, headers=headers), 400, "validation_error")
    assert_error(client.post(M, json={}, headers=headers), 400, "validation_error")
    assert_error(client.delete(f"{M}nobody/", headers=headers), 404, "not_found")
    assert_error(client.post(M, json={"username": "vic"}), 401, "auth_required")
    stranger = token_headers(factories.UserFactory())
    assert_error(client.post(M, json={"username": "vic"}, headers=stranger), 403, "permission_denied")


def test_grants_share_a_private_project_read_only(client, user, headers):
    factories.ProjectFactory(name="Pip", privacy_level="private", maintainers=[user])
    bob = factories.UserFactory(username="bob")
    bob_headers = token_headers(bob)
    assert_error(client.get("/api/v3/projects/pip/", headers=bob_headers), 404, "not_found")
    granted = client.post(G, json={"username": "bob"}, headers=headers)
    assert granted.status_code == 201 and granted.json["username"] == "bob"
    assert client.get("/api/v3/projects/pip/", headers=bob_headers).status_code == 200
    assert_error(
        client.patch("/api/v3/projects/pip/", json={}, headers=bob_headers), 403, "permission_denied"
    )
    assert_error(
        client.get(G, headers=bob_headers), 403, "permission_denied"
    )  # grants are maintainers' business
    assert client.get(G, headers=headers).json["count"] == 1
    assert client.get(f"{G}bob/", headers=headers).json["username"] == "bob"
    assert_error(client.post(G, json={"username": "bob"}, headers=headers), 409, "conflict")
    assert client.delete(f"{G}bob/", headers=headers).status_code == 204
    assert_error(client.get("/api/v3/projects/pip/", headers=bob_headers), 404, "not_found")
    assert_error(client.delete(f"{G}bob/", headers=headers), 404, "not_found")
