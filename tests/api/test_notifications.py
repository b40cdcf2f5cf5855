"""Notifications: made by failed/cancelled builds and unreadable repositories, read and marked via the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.models import Build, Notification, Project
from app.services import build_control
from tests import factories
from tests.api.helpers import assert_error, token_headers
from tests.workers.conftest import Repo, sphinx_files
from workers import jobs
from workers.recorder import BuildFailed


def _failed_build(project: Project, error: str = "Command failed with exit code 2: sphinx-build") -> Build:
    build = factories.BuildFactory(version__project=project, state="building", success=None, finished=None)
    build_control.finish_build(build, success=False, error=error)
    return build


def test_failed_build_has_an_error_notification_behind_its_link(client, headers, project):
    build = _failed_build(project)
    shown = client.get(f"/api/v3/projects/pip/builds/{build.id}/", headers=headers).json
    link = shown["_links"]["notifications"]
    page = client.get(link, headers=headers)
    assert page.status_code == 200 and page.json["count"] == 1
    item = page.json["results"][0]
    assert set(item) == {"id", "state", "dismissable", "news", "attached_to_content_type", "attached_to_id",
                         "message", "created", "modified", "_links"}  # Read the Docs' fields, plus times
    assert item["state"] == "unread" and item["dismissable"] is False and item["news"] is False
    assert item["attached_to_content_type"] == "build" and item["attached_to_id"] == build.id
    assert item["message"] == {
        "id": "build:failed",
        "header": f"Build {build.id} failed",
        "body": "Command failed with exit code 2: sphinx-build",
        "type": "error",
        "icon_classes": "fa-solid fa-circle-exclamation",
    }
    detail = client.get(item["_links"]["_self"], headers=headers)
    assert detail.status_code == 200 and detail.json["id"] == item["id"]
    assert item["_links"]["build"].endswith(f"/api/v3/projects/pip/builds/{build.id}/")


def test_passing_build_has_none_and_project_link_resolves(client, headers, project):
    build = factories.BuildFactory(version__project=project, state="building", success=None, finished=None)
    build_control.finish_build(build, success=True)
    url = f"/api/v3/projects/pip/builds/{build.id}/notifications/"
    assert client.get(url, headers=headers).json["count"] == 0
    link = client.get("/api/v3/projects/pip/", headers=headers).json["_links"]["notifications"]
    listed = client.get(link, headers=headers)
    assert listed.status_code == 200 and listed.json["results"] == []


def test_cancelled_before_start_is_a_dismissable_info(client, headers, project):
    build = factories.BuildFactory(version__project=project, state="triggered", success=None, finished=None)
    assert build_control.cancel_triggered(build.id, "The build was cancelled before it started.")
    listed = f"/api/v3/projects/pip/builds/{build.id}/notifications/"
    (item,) = client.get(listed, headers=headers).json["results"]
    assert item["message"]["id"] == "build:cancelled" and item["message"]["type"] == "info"
    assert item["message"]["body"] == "The build was cancelled before it started."
    url = item["_links"]["_self"]
    dismissed = client.patch(url, json={"state": "dismissed"}, headers=headers)
    assert dismissed.status_code == 200 and dismissed.json["state"] == "dismissed"
    unread = client.get(listed + "?state=unread", headers=headers)
    assert unread.json["count"] == 0


def test_state_changes_follow_the_rules(client, headers, project, user):
    build = _failed_build(project)
    url = f"/api/v3/projects/pip/builds/{build.id}/notifications/"
    item_url = client.get(url, headers=headers).json["results"][0]["_links"]["_self"]
    read = client.patch(item_url, json={"state": "read"}, headers=headers)
    assert read.status_code == 200 and read.json["state"] == "read"
    for refused in ("dismissed", "cancelled"):  # not dismissable; cancelled is Docshelf's to set
        response = client.patch(item_url, json={"state": refused}, headers=headers)
        assert_error(response, 400, "validation_error")
    assert_error(client.get(url + "?state=bogus", headers=headers), 400, "validation_error")
    assert_error(client.patch(item_url, json={"state": "read"}), 401, "auth_required")
    stranger = token_headers(factories.UserFactory())
    assert_error(client.patch(item_url, json={"state": "unread"}, headers=stranger), 403, "permission_denied")
    # Another project's notification is not reachable through this one's URL.
    other = factories.ProjectFactory(name="Other", slug="other", maintainers=[user])
    foreign = _failed_build(other)
    notification_id = db.session.scalar(db.select(Notification.id).where(Notification.build_id == foreign.id))
    assert_error(client.get(f"{url}{notification_id}/", headers=headers), 404, "not_found")


def test_unreadable_repository_notifies_the_project_once_until_a_sync_works(client, headers, project,
                                                                             tmp_path: Path):
    repo_path = tmp_path / "repo"
    project.repository_url = f"file://{repo_path}"
    db.session.commit()
    for _ in range(2):  # a second failure refreshes the notification instead of adding one
        with pytest.raises(BuildFailed):
            jobs.sync_versions(project.id)
    listed = client.get("/api/v3/projects/pip/notifications/", headers=headers).json
    assert listed["count"] == 1
    item = listed["results"][0]
    assert item["attached_to_content_type"] == "project" and item["message"]["id"] == "project:sync:failed"
    assert "Branches and tags were not updated" in item["message"]["body"]

    Repo(repo_path).commit(sphinx_files("Now here"), "first")
    result = jobs.sync_versions(project.id)
    assert result["created"]
    cancelled = client.get(item["_links"]["_self"], headers=headers).json
    assert cancelled["state"] == "cancelled"
    assert client.get("/api/v3/projects/pip/notifications/?state=unread", headers=headers).json["count"] == 0


def test_list_query_count_does_not_grow_with_items(client, headers, project, count_queries):
    build = _failed_build(project)
    build_id, project_id = build.id, project.id
    url = f"/api/v3/projects/pip/builds/{build_id}/notifications/"
    client.get(url, headers=headers)
    with count_queries() as one:
        assert client.get(url, headers=headers).json["count"] == 1
    for _ in range(20):
        db.session.add(Notification(project_id=project_id, build_id=build_id, message_id="build:failed",
                                    format_values={"build_id": build_id, "error": "again"}))
    db.session.commit()
    with count_queries() as many:
        assert client.get(url, headers=headers).json["count"] == 21
    # the same queries, plus the COUNT a list longer than its page needs (one that fits is counted as read)
    assert many.count == one.count + 1, many.statements
    assert sum("count(" in s.lower() for s in many.statements) == 1
