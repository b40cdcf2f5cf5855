"""The caller's and a user's notifications (Read the Docs' shapes), and every event that makes one."""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.models import Build, Notification, User, Version
from app.services import build_control, notifications
from app.services.builds import trigger_build
from app.services.sync import Ref, sync_versions
from app.services.tokens import create_token
from tests import factories
from tests.api.helpers import assert_error, token_headers
from tests.golden import assert_rtd_shape
from workers import jobs


@pytest.fixture
def bob() -> Any:
    return factories.UserFactory(username="bob")


@pytest.fixture
def world(client, headers, user, project, bob) -> dict[str, Any]:
    """alice maintains pip (a failed build, an unreadable repository) and invites bob to it; bob
    maintains his own project with a notification alice must never see."""
    build = factories.BuildFactory(version__project=project, state="building", success=None, finished=None)
    build_control.finish_build(build, success=False, error="sphinx-build failed")
    notifications.sync_failed(project.id, "The repository could not be cloned.")
    own = factories.ProjectFactory(name="Bobs", slug="bobs", maintainers=[bob])
    notifications.sync_failed(own.id, "Not alice's business.")
    invited = client.post("/api/v3/projects/pip/invitations/", json={"username": "bob"}, headers=headers)
    assert invited.status_code == 201, invited.json
    return {"build": build, "bob": token_headers(bob), "invitation": invited.json["id"]}


def test_every_list_and_detail_has_read_the_docs_key_paths(client, headers, world):
    bob, build = world["bob"], world["build"]
    inbox = client.get("/api/v3/notifications/", headers=bob).json
    assert {i["attached_to_content_type"] for i in inbox["results"]} == {"user", "project"}
    assert_rtd_shape("notifications-list", inbox)
    mine = client.get("/api/v3/users/bob/notifications/", headers=bob).json
    assert_rtd_shape("users-notifications-list", mine)
    assert_rtd_shape("users-notifications-detail", client.get(mine["results"][0]["_links"]["_self"],
                                                              headers=bob).json)
    project_list = client.get("/api/v3/projects/pip/notifications/", headers=headers).json
    assert_rtd_shape("projects-notifications-list", project_list)
    project_item = project_list["results"][0]["_links"]["_self"]
    assert_rtd_shape("projects-notifications-detail", client.get(project_item, headers=headers).json)
    build_list = client.get(f"/api/v3/projects/pip/builds/{build.id}/notifications/", headers=headers).json
    assert_rtd_shape("projects-builds-notifications-list", build_list)
    assert_rtd_shape("projects-builds-notifications-detail",
                     client.get(build_list["results"][0]["_links"]["_self"], headers=headers).json)


def test_the_inbox_holds_your_own_and_your_projects_not_builds_nor_others(client, headers, user, world):
    inbox = client.get("/api/v3/notifications/", headers=headers).json
    # alice: pip's unreadable repository only (the failed build stays on the build; bob's project and
    # bob's invitation are not hers).
    assert [i["message"]["id"] for i in inbox["results"]] == ["project:sync:failed"]
    bob = client.get("/api/v3/notifications/", headers=world["bob"]).json
    ids = {i["message"]["id"]: i for i in bob["results"]}
    assert set(ids) == {"user:invitation:received", "project:sync:failed"}
    invitation = ids["user:invitation:received"]
    assert invitation["attached_to_id"] == db.session.scalar(db.select(User.id).where(
        User.username == "bob"))
    assert invitation["_links"]["_self"].endswith(f"/api/v3/users/bob/notifications/{invitation['id']}/")
    assert "alice invites you to maintain the project Pip (pip)" in invitation["message"]["body"]
    assert f"/api/v3/invitations/{world['invitation']}/" in invitation["message"]["body"]
    assert ids["project:sync:failed"]["_links"]["_self"].endswith("/projects/bobs/notifications/"
                                                                 f"{ids['project:sync:failed']['id']}/")
    # The project's own list does not show what is addressed to a person.
    listed = client.get("/api/v3/projects/pip/notifications/", headers=headers).json["results"]
    assert [i["message"]["id"] for i in listed] == ["project:sync:failed"]
    assert client.get("/api/v3/notifications/?state=read", headers=world["bob"]).json["count"] == 0


def test_answering_the_invitation_cancels_its_notification(client, world):
    bob = world["bob"]
    (item,) = client.get("/api/v3/users/bob/notifications/", headers=bob).json["results"]
    read = client.patch(item["_links"]["_self"], json={"state": "read"}, headers=bob)
    assert read.status_code == 200 and read.json["state"] == "read"
    declined = client.post(f"/api/v3/invitations/{world['invitation']}/decline/", json={}, headers=bob)
    assert declined.status_code == 200
    assert client.get(item["_links"]["_self"], headers=bob).json["state"] == "cancelled"
    assert client.get("/api/v3/users/bob/notifications/?state=unread", headers=bob).json["count"] == 0


def test_a_withdrawn_invitation_cancels_its_notification(client, headers, world):
    bob = world["bob"]
    gone = client.delete("/api/v3/projects/pip/maintainers/bob/", headers=headers)
    assert gone.status_code == 204
    (item,) = client.get("/api/v3/users/bob/notifications/", headers=bob).json["results"]
    assert item["state"] == "cancelled"


def test_nobody_else_reads_or_marks_a_users_notifications(client, headers, world):
    bob = world["bob"]
    (item,) = client.get("/api/v3/users/bob/notifications/", headers=bob).json["results"]
    url = item["_links"]["_self"]
    assert_error(client.get("/api/v3/users/bob/notifications/", headers=headers), 404, "not_found")
    assert_error(client.get(url, headers=headers), 404, "not_found")
    assert_error(client.patch(url, json={"state": "dismissed"}, headers=headers), 404, "not_found")
    # alice's own URL with bob's id: not hers, so not found either
    assert_error(client.get(f"/api/v3/users/alice/notifications/{item['id']}/", headers=headers), 404,
                 "not_found")
    assert_error(client.patch(f"/api/v3/users/alice/notifications/{item['id']}/", json={"state": "read"},
                              headers=headers), 404, "not_found")
    assert_error(client.get("/api/v3/notifications/"), 401, "auth_required")
    assert_error(client.get(url), 401, "auth_required")
    assert_error(client.get("/api/v3/users/nobody/notifications/", headers=bob), 404, "not_found")
    # an administrator reads them, and still does not mark another person's notifications
    admin = token_headers(factories.UserFactory(username="root", role="admin"))
    assert client.get(url, headers=admin).status_code == 200
    assert_error(client.patch(url, json={"state": "read"}, headers=admin), 404, "not_found")
    assert client.get(url, headers=bob).json["state"] == "unread"


def test_a_narrow_token_neither_widens_the_inbox_nor_marks(client, user, project, world):
    user = db.session.get(User, user.id)  # the fixture's instance predates the requests above
    other = factories.ProjectFactory(name="Mine", slug="mine", maintainers=[user])
    notifications.sync_failed(other.id, "also broken")
    _token, key = create_token(user, "narrow", scopes=["projects:read", "projects:write"],
                               project_ids=[other.id])
    narrow = {"Authorization": f"Token {key}"}
    listed = client.get("/api/v3/notifications/", headers=narrow).json["results"]
    assert [i["_links"]["_self"].split("/projects/")[1].split("/")[0] for i in listed] == ["mine"]
    bob_item = client.get("/api/v3/users/bob/notifications/", headers=world["bob"]).json["results"][0]
    _token, bob_read = create_token(db.session.get(User, bob_item["attached_to_id"]), "read-only",
                                    scopes=["projects:read"])
    response = client.patch(bob_item["_links"]["_self"], json={"state": "read"},
                            headers={"Authorization": f"Token {bob_read}"})
    assert_error(response, 403, "insufficient_scope")


def test_superseded_build_says_a_newer_one_cancelled_it(client, headers, user, project):
    version = db.session.scalar(db.select(Version).where(Version.project_id == project.id))
    first = trigger_build(project, version, user)
    first_id = first.id
    trigger_build(project, version, user)
    listed = client.get(f"/api/v3/projects/pip/builds/{first_id}/notifications/", headers=headers).json
    (item,) = listed["results"]
    assert item["message"]["id"] == "build:cancelled:superseded"
    assert item["message"]["header"] == f"Build {first_id} was cancelled by a newer build"
    assert item["dismissable"] is True
    manual = factories.BuildFactory(version__project=project, state="triggered", success=None, finished=None)
    build_control.cancel_build(manual)
    own_url = f"/api/v3/projects/pip/builds/{manual.id}/notifications/"
    (own,) = client.get(own_url, headers=headers).json["results"]
    assert own["message"]["id"] == "build:cancelled"


def test_a_build_waiting_for_a_slot_says_so_once_until_it_ends(client, headers, project):
    project.max_concurrent_builds = 1
    db.session.commit()
    factories.BuildFactory(version__project=project, state="building", success=None, finished=None)
    waiting = factories.BuildFactory(version__project=project, state="triggered", success=None, finished=None)
    waiting_id = waiting.id
    assert jobs.run_build(waiting_id) == "waiting"
    assert jobs.run_build(waiting_id) == "waiting"  # retried: still one notification
    url = f"/api/v3/projects/pip/builds/{waiting_id}/notifications/"
    (item,) = client.get(url, headers=headers).json["results"]
    assert item["message"]["id"] == "build:max-concurrency" and item["message"]["type"] == "warning"
    assert "as many builds as its limit allows (1 at once)" in item["message"]["body"]
    build_control.cancel_build(db.session.get(Build, waiting_id))
    states = {i["message"]["id"]: i["state"] for i in client.get(url, headers=headers).json["results"]}
    assert states == {"build:max-concurrency": "cancelled", "build:cancelled": "unread"}


def test_a_version_whose_ref_vanished_is_deactivated_with_a_notification(client, headers, project):
    refs = [Ref("main", "branch", "sha-main"), Ref("old", "branch", "sha-old")]
    sync_versions(project, refs, "main")
    old = db.session.scalar(db.select(Version).where(Version.project_id == project.id, Version.slug == "old"))
    old.active = True
    db.session.commit()
    sync_versions(project, refs[:1], "main")
    listed = client.get("/api/v3/projects/pip/notifications/", headers=headers).json["results"]
    (item,) = [i for i in listed if i["message"]["id"] == "project:version:deactivated"]
    assert item["message"]["header"] == "Version old was deactivated"
    assert "branch 'old' is no longer in the repository" in item["message"]["body"]
    assert item["attached_to_content_type"] == "project"


def test_inbox_query_count_does_not_grow_with_items(client, headers, user, project, count_queries):
    url = "/api/v3/notifications/"
    notifications.sync_failed(project.id, "once")
    invitation = {"project": "pip", "project_name": "Pip", "inviter": "x", "url": "u"}
    db.session.add(Notification(project_id=project.id, user_id=user.id,
                                message_id=notifications.INVITATION_RECEIVED, format_values=invitation))
    db.session.commit()
    client.get(url, headers=headers)
    with count_queries() as one:
        assert client.get(url, headers=headers).json["count"] == 2
    user = db.session.get(User, user.id)
    for n in range(10):
        other = factories.ProjectFactory(name=f"More {n}", maintainers=[user])
        db.session.add(Notification(project_id=other.id, message_id=notifications.SYNC_FAILED,
                                    format_values={"error": "again"}))
        db.session.add(Notification(project_id=project.id, user_id=user.id,
                                    message_id=notifications.INVITATION_RECEIVED, format_values=invitation))
    db.session.commit()
    with count_queries() as many:
        assert client.get(url, headers=headers).json["count"] == 22
    # the same queries, plus the COUNT a list longer than its page needs (one that fits is counted as read)
    assert many.count == one.count + 1, many.statements
    assert sum("count(" in s.lower() for s in many.statements) == 1
