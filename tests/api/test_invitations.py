"""Maintainers by consent: adding one invites them; only the invitee's acceptance grants anything."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditEvent, Invitation, Project
from app.models.base import utcnow
from app.services.quotas import projects_used
from tests import factories
from tests.api.helpers import assert_error, token_headers
from tests.golden import assert_golden

P = "/api/v3/projects/pip/"
M = f"{P}maintainers/"
PI = f"{P}invitations/"
INBOX = "/api/v3/invitations/"


@pytest.fixture
def pip(user):
    return factories.ProjectFactory(name="Pip", privacy_level="private", maintainers=[user])


@pytest.fixture
def bob():
    return factories.UserFactory(username="bob")


def invite(client, headers, username="bob", url=M):
    response = client.post(url, json={"username": username}, headers=headers)
    assert response.status_code == (202 if url.endswith("/maintainers/") else 201), response.get_data(
        as_text=True
    )
    return response.json


def answer(client, who, invitation_id, verb):
    return client.post(f"{INBOX}{invitation_id}/{verb}/", json={}, headers=token_headers(who))


def maintainer_names(project_id):
    db.session.expire_all()
    return [u.username for u in db.session.get(Project, project_id).users]


def expire(invitation_id):
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id)
        .values(expires=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def test_adding_an_admin_changes_nothing_for_them_until_they_accept(client, pip, headers):
    """The original attack: a user made an administrator a maintainer of their own project."""
    admin = factories.UserFactory(username="root", role="admin")
    admin_headers = token_headers(admin)
    sent = invite(client, headers, "root")
    assert sent["state"] == "pending" and sent["username"] == "root" and sent["inviter"] == "alice"
    assert maintainer_names(pip.id) == ["alice"]
    # an administrator lists every project; their own (``mine``) are what maintainership changes
    assert client.get("/api/v3/projects/?mine=true", headers=admin_headers).json["count"] == 0
    assert projects_used(admin) == 0
    assert [u["username"] for u in client.get(P, headers=headers).json["users"]] == ["alice"]
    assert client.get(M, headers=headers).json["count"] == 1
    assert_error(client.get(f"{M}root/", headers=headers), 404, "not_found")
    # the admin sees it in their inbox, and only accepting changes anything
    inbox = client.get(INBOX, headers=admin_headers).json
    assert [i["project"] for i in inbox["results"]] == ["pip"]
    assert answer(client, admin, sent["id"], "accept").status_code == 200
    assert maintainer_names(pip.id) == ["alice", "root"]
    mine = client.get("/api/v3/projects/?mine=true", headers=admin_headers).json["results"]
    assert [p["slug"] for p in mine] == ["pip"]


def test_an_invitee_gets_no_access_list_entry_or_quota_use_before_accepting(
    client, app, pip, headers, bob, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_PROJECTS_PER_USER", 2)
    bob_headers = token_headers(bob)
    factories.ProjectFactory(name="Own", maintainers=[bob])
    for name in ("Two", "Three"):  # more invitations than bob's quota allows projects
        factories.ProjectFactory(name=name, maintainers=[factories.UserFactory()])
    sent = invite(client, headers)
    for slug in ("two", "three"):
        inviter = db.session.scalar(select(Project).where(Project.slug == slug)).users[0]
        invite(client, token_headers(inviter), url=f"/api/v3/projects/{slug}/maintainers/")
    assert projects_used(bob) == 1
    assert_error(client.get(P, headers=bob_headers), 404, "not_found")  # private: not even a read
    assert_error(client.patch(P, json={"tags": ["x"]}, headers=bob_headers), 404, "not_found")
    assert_error(
        client.patch("/api/v3/projects/two/", json={}, headers=bob_headers), 403, "permission_denied"
    )
    assert [p["slug"] for p in client.get("/api/v3/projects/", headers=bob_headers).json["results"]] == [
        "own"
    ]
    new = {"name": "Mine", "repository": {"url": "https://github.com/example/mine"}}
    assert client.post("/api/v3/projects/", json=new, headers=bob_headers).status_code == 201  # not filled
    # accepting is taking a project on: the quota applies then
    body = assert_error(answer(client, bob, sent["id"], "accept"), 429, "quota_exceeded", "quota")
    assert body["quota"] == {"name": "projects_per_user", "limit": 2, "used": 2}
    assert maintainer_names(pip.id) == ["alice"]
    assert client.get(f"{INBOX}{sent['id']}/", headers=bob_headers).json["state"] == "pending"


def test_accepting_grants_access_and_twice_is_idempotent(client, pip, headers, bob):
    sent = invite(client, headers)
    first = answer(client, bob, sent["id"], "accept")
    assert first.status_code == 200 and first.json["state"] == "accepted"
    again = answer(client, bob, sent["id"], "accept")
    assert again.status_code == 200 and again.json == first.json
    assert maintainer_names(pip.id) == ["alice", "bob"]
    assert client.patch(P, json={"tags": ["b"]}, headers=token_headers(bob)).status_code == 204
    added = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "maintainer.added")).all()
    assert [(e.actor, e.target) for e in added] == [("bob", "bob")]  # once, by the one who consented
    assert_error(answer(client, bob, sent["id"], "decline"), 409, "invitation_accepted")
    assert_error(client.delete(f"{PI}{sent['id']}/", headers=headers), 409, "conflict")
    assert_error(invite_response(client, headers), 409, "conflict")  # already a maintainer


def invite_response(client, headers, username="bob"):
    return client.post(M, json={"username": username}, headers=headers)


def test_a_declined_invitation_never_grants_access(client, pip, headers, bob):
    sent = invite(client, headers)
    declined = answer(client, bob, sent["id"], "decline")
    assert declined.status_code == 200 and declined.json["state"] == "declined"
    assert answer(client, bob, sent["id"], "decline").json["state"] == "declined"  # idempotent too
    assert_error(answer(client, bob, sent["id"], "accept"), 409, "invitation_declined")
    assert maintainer_names(pip.id) == ["alice"]
    assert_error(client.get(P, headers=token_headers(bob)), 404, "not_found")
    listed = client.get(PI, headers=headers).json["results"]
    assert [(i["username"], i["state"]) for i in listed] == [("bob", "declined")]
    # asking again is a new invitation, which bob may accept this time
    assert invite(client, headers)["id"] != sent["id"]


def test_an_expired_invitation_never_grants_access(client, app, pip, headers, bob):
    sent = invite(client, headers)
    row = db.session.get(Invitation, sent["id"])
    ttl = app.config["INVITATION_TTL"]
    assert ttl == 14 * 24 * 3600 and abs((row.expires - row.created).total_seconds() - ttl) < 5
    expire(sent["id"])
    assert client.get(f"{INBOX}{sent['id']}/", headers=token_headers(bob)).json["state"] == "expired"
    assert_error(answer(client, bob, sent["id"], "accept"), 409, "invitation_expired")
    assert maintainer_names(pip.id) == ["alice"]
    assert client.get(f"{INBOX}?state=pending", headers=token_headers(bob)).json["count"] == 0
    assert client.get(f"{PI}?state=expired", headers=headers).json["count"] == 1
    renewed = invite(client, headers)  # an expired invitation does not block a new one
    assert answer(client, bob, renewed["id"], "accept").status_code == 200


def test_only_the_invitee_can_accept(client, pip, headers, bob):
    sent = invite(client, headers)
    url = f"{INBOX}{sent['id']}/accept/"
    assert_error(client.post(url, json={}), 401, "auth_required")
    for other in (factories.UserFactory(username="mallory"), pip.users[0]):  # a stranger, the inviter
        assert_error(answer(client, other, sent["id"], "accept"), 404, "not_found")
        assert_error(client.get(f"{INBOX}{sent['id']}/", headers=token_headers(other)), 404, "not_found")
        assert_error(answer(client, other, sent["id"], "decline"), 404, "not_found")
    admin = factories.UserFactory(role="admin")  # not even an administrator answers for someone
    assert_error(answer(client, admin, sent["id"], "accept"), 404, "not_found")
    assert client.get(INBOX, headers=token_headers(admin)).json["count"] == 0
    assert maintainer_names(pip.id) == ["alice"]


def test_narrow_tokens_cannot_accept(client, pip, headers, bob):
    from app.services.tokens import create_token

    factories.ProjectFactory(name="Own", maintainers=[bob])
    sent = invite(client, headers)
    url = f"{INBOX}{sent['id']}/accept/"
    _, read_only = create_token(bob, "ro", scopes=["projects:read"])
    assert client.get(INBOX, headers={"Authorization": f"Token {read_only}"}).json["count"] == 1
    assert_error(
        client.post(url, json={}, headers={"Authorization": f"Token {read_only}"}), 403, "insufficient_scope"
    )
    own = db.session.scalar(select(Project.id).where(Project.slug == "own"))
    _, restricted = create_token(bob, "own only", scopes=["projects:write"], project_ids=[own])
    # a token limited to bob's own project must not widen itself to a new one
    assert_error(
        client.post(url, json={}, headers={"Authorization": f"Token {restricted}"}), 403, "permission_denied"
    )
    assert maintainer_names(pip.id) == ["alice"]
    assert client.post(url, json={}, headers=token_headers(bob)).status_code == 200


def test_the_inviter_lists_and_revokes(client, pip, headers, bob):
    carol = factories.UserFactory(username="carol")
    sent = invite(client, headers)
    response = client.post(PI, json={"username": "carol"}, headers=headers)
    assert response.status_code == 201
    assert response.headers["Location"] == f"http://localhost{PI}{response.json['id']}/"
    assert_error(client.post(PI, json={"username": "carol"}, headers=headers), 409, "conflict")
    listed = client.get(PI, headers=headers).json
    assert [i["username"] for i in listed["results"]] == ["carol", "bob"]  # newest first
    assert_error(client.get(PI, headers=token_headers(bob)), 404, "not_found")  # private project
    assert client.get(f"{PI}{sent['id']}/", headers=headers).json["_links"]["_self"] == (
        f"http://localhost{PI}{sent['id']}/"
    )
    assert client.delete(f"{PI}{sent['id']}/", headers=headers).status_code == 204
    assert_error(answer(client, bob, sent["id"], "accept"), 404, "not_found")
    assert_error(client.delete(f"{PI}{sent['id']}/", headers=headers), 404, "not_found")
    # the maintainers API undoes its own POST: DELETE revokes the unanswered invitation
    assert client.delete(f"{M}carol/", headers=headers).status_code == 204
    assert client.get(INBOX, headers=token_headers(carol)).json["count"] == 0
    assert_error(client.delete(f"{M}carol/", headers=headers), 404, "not_found")
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("invitation.sent") == 2 and actions.count("invitation.revoked") == 2


def test_strangers_cannot_invite_or_revoke(client, headers, bob):
    factories.ProjectFactory(name="Pip", maintainers=[factories.UserFactory(username="owner")])
    stranger = token_headers(bob)
    assert_error(client.post(M, json={"username": "alice"}, headers=stranger), 403, "permission_denied")
    assert_error(client.post(PI, json={"username": "alice"}, headers=stranger), 403, "permission_denied")
    assert_error(client.get(PI, headers=stranger), 403, "permission_denied")
    assert_error(client.post(PI, json={"username": "alice"}), 401, "auth_required")


def test_a_user_who_became_a_viewer_cannot_accept(client, pip, headers, bob):
    sent = invite(client, headers)
    bob.role = "viewer"
    db.session.commit()
    assert_error(answer(client, bob, sent["id"], "accept"), 403, "permission_denied")
    assert maintainer_names(pip.id) == ["alice"]


def test_golden_invitation_both_views(client, pip, headers, bob):
    sent = invite(client, headers)
    assert_golden("project_invitation", client.get(f"{PI}{sent['id']}/", headers=headers).json)
    assert_golden("invitation", client.get(f"{INBOX}{sent['id']}/", headers=token_headers(bob)).json)
    inbox = client.get(INBOX, headers=token_headers(bob)).json
    assert inbox["count"] == 1 and inbox["next"] is None and inbox["results"][0]["id"] == sent["id"]


def test_bad_state_filter_is_a_400(client, bob):
    assert_error(client.get(f"{INBOX}?state=maybe", headers=token_headers(bob)), 400, "validation_error")
    assert_error(client.get(INBOX), 401, "auth_required")


def test_openapi_documents_both_sides(client):
    paths = client.get("/api/v3/openapi.json").json["paths"]
    assert {
        "/api/v3/invitations/",
        "/api/v3/invitations/{invitation_id}/",
        "/api/v3/invitations/{invitation_id}/accept/",
        "/api/v3/invitations/{invitation_id}/decline/",
        "/api/v3/projects/{project_slug}/invitations/",
        "/api/v3/projects/{project_slug}/invitations/{invitation_id}/",
    } <= set(paths)
    assert "202" in paths["/api/v3/projects/{project_slug}/maintainers/"]["post"]["responses"]


def test_the_invitee_finds_and_accepts_it_in_the_browsable_api(client, pip, headers):
    from app.services.accounts import create_user
    from tests.api.test_browsable import PASSWORD, anchors, element, login, page

    create_user("bob", password=PASSWORD)
    sent = invite(client, headers)
    login(client, "bob")
    _, root = page(client, "/api/v3/")
    assert "http://localhost/api/v3/invitations/" in anchors(root)
    _, inbox = page(client, INBOX)
    detail = f"http://localhost{INBOX}{sent['id']}/"
    assert detail in anchors(inbox) and f"{detail}accept/" in anchors(inbox)
    response, action = page(client, f"{INBOX}{sent['id']}/accept/")
    assert response.status_code == 405 and element(action, "allowed") == "Allow: OPTIONS, POST"
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', action).group(1)
    accepted = client.post(
        f"{INBOX}{sent['id']}/accept/", json={}, headers={"Accept": "application/json", "X-CSRF-Token": token}
    )
    assert accepted.status_code == 200 and maintainer_names(pip.id) == ["alice", "bob"]
