"""Incoming webhooks at Read the Docs' URLs: real payloads, signed in the test, real builds.

GitHub signs the raw body (HMAC-SHA256, ``X-Hub-Signature-256``); GitLab and the generic API send the
secret itself. Every test checks what the database holds afterwards (Build rows, versions), not only
the answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import select

from app.extensions import db, get_redis
from app.models import Build, IntegrationDelivery, Version
from app.services import integrations as service
from tests import factories
from tests.api.helpers import assert_error
from tests.workers.conftest import Repo, fresh, sphinx_files, work

SECRET = "webhook-secret-for-tests-0123456789abcdef"
SHA = "9f2c1e4b7a6d5c3b2a1908f7e6d5c4b3a2910f8e"
ZERO = "0" * 40


@pytest.fixture
def project(user: Any) -> Any:
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user], default_branch="main")
    factories.VersionFactory(project=project, slug="main", verbose_name="main", identifier="main")
    factories.VersionFactory(project=project, slug="dev", verbose_name="dev", identifier="dev", active=False)
    return project


def integration(project: Any, kind: str = "github_webhook", build_new_versions: bool = False) -> Any:
    row, _secret = service.create_integration(
        project, integration_type=kind, secret=SECRET, build_new_versions=build_new_versions
    )
    return row


def github_url(row: Any) -> str:
    return f"/api/v2/webhook/github/pip/{row.id}/"


def gitlab_url(row: Any) -> str:
    return f"/api/v2/webhook/gitlab/pip/{row.id}/"


def generic_url(row: Any) -> str:
    return f"/api/v2/webhook/pip/{row.id}/"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def push_payload(
    ref: str, *, after: str = SHA, created: bool = False, deleted: bool = False
) -> dict[str, Any]:
    """The parts of GitHub's push payload Docshelf reads, among some it does not."""
    return {
        "ref": ref,
        "before": ZERO if created else "1" * 40,
        "after": ZERO if deleted else after,
        "created": created,
        "deleted": deleted,
        "forced": False,
        "compare": "https://github.com/pypa/pip/compare/1111...9f2c",
        "commits": [] if deleted else [{"id": after, "message": "Update docs", "distinct": True}],
        "head_commit": None if deleted else {"id": after, "message": "Update docs"},
        "repository": {"id": 1, "full_name": "pypa/pip", "default_branch": "main"},
        "pusher": {"name": "alice", "email": "alice@example.com"},
    }


def github(
    client: Any,
    row: Any,
    event: str,
    payload: dict[str, Any],
    delivery: str | None = None,
    signature: str | None = None,
) -> Any:
    body = json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-Hub-Signature-256": signature or sign(body),
        "User-Agent": "GitHub-Hookshot/abc123",
    }
    if delivery:
        headers["X-GitHub-Delivery"] = delivery
    return client.post(github_url(row), data=body, content_type="application/json", headers=headers)


def builds() -> list[Build]:
    db.session.expire_all()
    return list(db.session.scalars(select(Build).order_by(Build.id)))


def built_slugs() -> list[str]:
    return sorted(b.version_slug for b in builds())


def version(slug: str) -> Version:
    db.session.expire_all()
    return db.session.scalars(select(Version).where(Version.slug == slug)).one()


def deliveries() -> list[IntegrationDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(IntegrationDelivery).order_by(IntegrationDelivery.id)))


# --- GitHub ----------------------------------------------------------------------------------------------


def test_github_push_builds_every_active_version_following_the_branch(client, project):
    row = integration(project)
    response = github(client, row, "push", push_payload("refs/heads/main"), delivery="d-1")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["build_triggered"] is True and body["project"] == "pip"
    assert sorted(body["versions"]) == ["latest", "main"]  # latest tracks main
    assert body["versions_created"] == [] and body["versions_deactivated"] == []
    assert built_slugs() == ["latest", "main"]
    assert all(b.state == "triggered" and b.job_id == f"build-{b.id}" for b in builds())
    [delivery] = deliveries()
    assert (delivery.delivery_id, delivery.event, delivery.status_code) == ("d-1", "push", 200)
    assert body["delivery"] == delivery.id and delivery.outcome == body


def test_github_push_to_an_inactive_version_builds_nothing(client, project):
    response = github(client, integration(project), "push", push_payload("refs/heads/dev"))
    assert response.status_code == 200
    assert response.json["build_triggered"] is False and response.json["versions"] == []
    assert "inactive" in response.json["detail"] and builds() == []


def test_github_push_runs_a_real_build_to_the_end(app, client, user, tmp_path):
    repo = Repo(tmp_path / "repo")
    sha = repo.commit(sphinx_files("Webhook docs"), "first")
    project = factories.ProjectFactory(
        name="Pip", slug="pip", repository_url=repo.url, maintainers=[user], default_branch="main"
    )
    row = integration(project)
    response = github(client, row, "push", push_payload("refs/heads/main", after=sha))
    assert response.json["versions"] == ["latest"], response.json
    [build] = builds()
    work()
    done = fresh(build.id)
    assert done.state == "finished" and done.success is True, done.error
    assert done.commit == sha
    assert version("latest").built is True


def test_new_branch_becomes_an_inactive_version(client, project):
    response = github(
        client, integration(project), "push", push_payload("refs/heads/feature/Docs", created=True)
    )
    assert response.status_code == 200
    assert response.json["versions_created"] == ["feature-docs"] and response.json["build_triggered"] is False
    created = version("feature-docs")
    assert (created.verbose_name, created.identifier, created.type) == (
        "feature/Docs",
        "feature/Docs",
        "branch",
    )
    assert created.active is False and created.machine is False
    assert builds() == []


def test_new_branch_is_activated_and_built_with_build_new_versions(client, project):
    row = integration(project, build_new_versions=True)
    response = github(client, row, "push", push_payload("refs/heads/next", created=True))
    assert response.json["versions_created"] == ["next"] and response.json["versions"] == ["next"]
    assert version("next").active is True and built_slugs() == ["next"]


def test_create_event_creates_and_the_push_that_follows_builds_once(client, project):
    row = integration(project, build_new_versions=True)
    created = github(client, row, "create", {"ref": "next", "ref_type": "branch", "master_branch": "main"})
    assert created.json["versions_created"] == ["next"] and created.json["versions"] == []
    assert version("next").active is True and builds() == []
    pushed = github(client, row, "push", push_payload("refs/heads/next", created=True))
    assert pushed.json["versions"] == ["next"] and pushed.json["versions_created"] == []
    assert built_slugs() == ["next"]


def test_new_release_tag_moves_stable_and_builds_it(client, project):
    row = integration(project, build_new_versions=True)
    response = github(client, row, "push", push_payload("refs/tags/2.1", created=True))
    assert response.status_code == 200, response.json
    assert sorted(response.json["versions_created"]) == ["2.1", "stable"]
    tag, stable = version("2.1"), version("stable")
    assert (tag.type, tag.identifier, tag.active) == ("tag", SHA, True)
    assert (stable.machine, stable.ref, stable.identifier, stable.type) == (True, "2.1", SHA, "tag")
    assert built_slugs() == ["2.1", "stable"]
    # A pre-release does not move stable; the old tag pushed again rebuilds it and stable.
    github(client, row, "push", push_payload("refs/tags/3.0rc1", created=True))
    assert version("stable").ref == "2.1"
    github(client, row, "push", push_payload("refs/tags/2.1", after="a" * 40))
    assert version("stable").identifier == "a" * 40 and version("2.1").identifier == "a" * 40
    assert built_slugs() == ["2.1", "2.1", "3.0rc1", "stable", "stable"]


def test_deleted_branch_is_deactivated_and_nothing_is_built(client, project):
    feature = factories.VersionFactory(project=project, slug="feature", verbose_name="feature", built=True)
    row = integration(project)
    response = github(client, row, "push", push_payload("refs/heads/feature", deleted=True))
    assert response.status_code == 200
    assert response.json["versions_deactivated"] == ["feature"] and response.json["build_triggered"] is False
    gone = version(feature.slug)
    assert gone.active is False and gone.built is False and builds() == []
    # GitHub's delete event says the same; the version is already inactive: nothing more happens.
    again = github(client, row, "delete", {"ref": "feature", "ref_type": "branch"})
    assert again.status_code == 200 and again.json["versions_deactivated"] == []


def test_deleting_the_branch_latest_follows_keeps_latest(client, project):
    project.default_version = "main"
    db.session.commit()
    response = github(client, integration(project), "delete", {"ref": "main", "ref_type": "branch"})
    assert response.status_code == 200 and response.json["versions_deactivated"] == []
    assert "latest" in response.json["detail"] and "default version" in response.json["detail"]
    assert version("latest").active is True and version("main").active is True


def test_ping_answers_200_and_does_nothing(client, project):
    response = github(
        client, integration(project), "ping", {"zen": "Keep it logically awesome.", "hook_id": 1}
    )
    assert response.status_code == 200, response.json
    assert response.json["build_triggered"] is False and "configured correctly" in response.json["detail"]
    assert builds() == []


def test_other_github_events_are_ignored(client, project):
    response = github(client, integration(project), "issues", {"action": "opened"})
    assert response.status_code == 200 and "ignored" in response.json["detail"] and builds() == []


def test_github_form_encoded_payload(client, project):
    row = integration(project)
    body = urlencode({"payload": json.dumps(push_payload("refs/heads/main"))}).encode()
    response = client.post(
        github_url(row),
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(body)},
    )
    assert response.status_code == 200, response.json
    assert built_slugs() == ["latest", "main"]


def test_bad_or_missing_signature_does_nothing(client, project):
    row = integration(project)
    payload = push_payload("refs/heads/main")
    body = json.dumps(payload).encode()
    wrong = github(client, row, "push", payload, signature=sign(body, "not-the-secret"))
    assert_error(wrong, 403, "permission_denied")
    tampered = github(client, row, "push", payload, signature=sign(body + b" "))
    assert_error(tampered, 403, "permission_denied")
    missing = client.post(
        github_url(row), data=body, content_type="application/json", headers={"X-GitHub-Event": "push"}
    )
    assert_error(missing, 401, "auth_required")
    assert builds() == [] and deliveries() == []


def test_replayed_delivery_builds_once_and_answers_the_same(client, project):
    row = integration(project)
    first = github(client, row, "push", push_payload("refs/heads/main"), delivery="72d3162e-cc78-11e3")
    second = github(client, row, "push", push_payload("refs/heads/main"), delivery="72d3162e-cc78-11e3")
    assert first.status_code == second.status_code == 200
    assert second.json == first.json and second.headers["Idempotent-Replayed"] == "true"
    assert built_slugs() == ["latest", "main"] and len(deliveries()) == 1
    # Another delivery id (or none) is a new delivery.
    github(client, row, "push", push_payload("refs/heads/main"), delivery="another")
    github(client, row, "push", push_payload("refs/heads/main"))
    assert len(builds()) == 6 and len(deliveries()) == 3


def test_simultaneous_copies_of_one_delivery_build_once(app, project):
    row = integration(project)
    body = json.dumps(push_payload("refs/heads/main")).encode()
    headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(body), "X-GitHub-Delivery": "same"}
    barrier = threading.Barrier(2)
    url = github_url(row)

    def send() -> Any:
        client = app.test_client()
        barrier.wait(timeout=10)
        return client.post(url, data=body, content_type="application/json", headers=headers)

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = [f.result(timeout=60) for f in [pool.submit(send), pool.submit(send)]]
    statuses = sorted(r.status_code for r in responses)
    # One acts; the other replays its answer, or (still in progress) asks to retry shortly.
    assert statuses in ([200, 200], [200, 409]), [r.json for r in responses]
    assert built_slugs() == ["latest", "main"] and len(deliveries()) == 1


def test_a_delivery_in_progress_answers_409_retryable(client, project):
    row = integration(project)
    db.session.add(
        IntegrationDelivery(integration_id=row.id, delivery_id="busy", dedup_key="busy", event="push")
    )
    db.session.commit()
    response = github(client, row, "push", push_payload("refs/heads/main"), delivery="busy")
    body = assert_error(response, 409, "delivery_in_progress", "retryable")
    assert body["retryable"] is True and response.headers["Retry-After"] == "1" and builds() == []


def test_redis_down_is_503_and_the_retry_builds(app, client, project, monkeypatch):
    row = integration(project)
    real = get_redis(app)
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    monkeypatch.setitem(app.extensions, "docshelf_redis", dead)
    failed = github(client, row, "push", push_payload("refs/heads/main"), delivery="d-503")
    assert_error(failed, 503, "retryable_error", "retryable")
    [attempt] = deliveries()
    assert attempt.status_code == 503 and attempt.dedup_key is None  # not counted as handled
    assert all(b.state == "cancelled" for b in builds())
    monkeypatch.setitem(app.extensions, "docshelf_redis", real)
    retry = github(client, row, "push", push_payload("refs/heads/main"), delivery="d-503")
    assert retry.status_code == 200, retry.json
    assert "Idempotent-Replayed" not in retry.headers and retry.json["build_triggered"] is True
    assert sorted(b.version_slug for b in builds() if b.state == "triggered") == ["latest", "main"]
    assert [d.status_code for d in deliveries()] == [503, 200]


def test_unknown_project_integration_or_wrong_type(client, project):
    row = integration(project)
    payload = push_payload("refs/heads/main")
    body = json.dumps(payload).encode()
    headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(body)}
    assert_error(
        client.post(
            f"/api/v2/webhook/github/nope/{row.id}/",
            data=body,
            content_type="application/json",
            headers=headers,
        ),
        404,
        "not_found",
    )
    assert_error(
        client.post(
            f"/api/v2/webhook/github/pip/{row.id + 100}/",
            data=body,
            content_type="application/json",
            headers=headers,
        ),
        404,
        "not_found",
    )
    wrong = client.post(gitlab_url(row), json=payload, headers={"X-Gitlab-Token": SECRET})
    assert "github_webhook" in assert_error(wrong, 400, "wrong_integration_type")["detail"]
    assert builds() == []


def test_malformed_payloads_are_400(client, project):
    row = integration(project)
    for payload in ({"ref": 5}, {"ref": ""}, {"ref": "refs/heads/" + "x" * 300}):
        assert_error(github(client, row, "push", payload), 400, "validation_error")
    form = urlencode({"payload": "not json"}).encode()
    response = client.post(
        github_url(row),
        data=form,
        content_type="application/x-www-form-urlencoded",
        headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(form)},
    )
    assert_error(response, 400, "validation_error")
    assert builds() == []


def test_webhooks_are_not_rate_limited_per_ip(app, client, project, monkeypatch):
    """GitHub sends every customer's hooks from a few addresses: the anonymous per-IP limit skips them."""
    monkeypatch.setitem(app.config, "RATE_LIMITS_ENABLED", True)
    monkeypatch.setitem(app.config, "RATE_LIMIT_ANONYMOUS", "2/hour")
    row = integration(project)
    answers = [github(client, row, "ping", {"zen": "hi"}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 200]
    # The limit itself still works for other anonymous requests: two pass, the third is throttled.
    assert [client.get("/api/v3/projects/pip/").status_code for _ in range(2)] == [200, 200]
    assert_error(client.get("/api/v3/projects/pip/"), 429, "rate_limited")


# --- GitLab ----------------------------------------------------------------------------------------------


def gitlab_push(ref: str, *, before: str = "1" * 40, after: str = SHA, kind: str = "push") -> dict[str, Any]:
    return {
        "object_kind": kind,
        "event_name": kind,
        "before": before,
        "after": after,
        "ref": ref,
        "checkout_sha": None if after == ZERO else after,
        "user_name": "Alice",
        "project": {"id": 15, "path_with_namespace": "pypa/pip", "default_branch": "main"},
        "commits": [],
        "total_commits_count": 0,
    }


def test_gitlab_push_with_the_token_builds(client, project):
    row = integration(project, "gitlab_webhook")
    response = client.post(
        gitlab_url(row),
        json=gitlab_push("refs/heads/main"),
        headers={
            "X-Gitlab-Event": "Push Hook",
            "X-Gitlab-Token": SECRET,
            "X-Gitlab-Event-UUID": "13792a34-cac6-4fda-95a8-c58e00a3954e",
        },
    )
    assert response.status_code == 200, response.json
    assert sorted(response.json["versions"]) == ["latest", "main"] and built_slugs() == ["latest", "main"]
    assert deliveries()[0].delivery_id == "13792a34-cac6-4fda-95a8-c58e00a3954e"


def test_gitlab_wrong_or_missing_token(client, project):
    row = integration(project, "gitlab_webhook")
    wrong = client.post(
        gitlab_url(row),
        json=gitlab_push("refs/heads/main"),
        headers={"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "guess"},
    )
    assert_error(wrong, 403, "permission_denied")
    missing = client.post(
        gitlab_url(row), json=gitlab_push("refs/heads/main"), headers={"X-Gitlab-Event": "Push Hook"}
    )
    assert_error(missing, 401, "auth_required")
    assert builds() == [] and deliveries() == []


def test_gitlab_tag_push_creates_and_zero_after_deletes(client, project):
    row = integration(project, "gitlab_webhook")
    headers = {"X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": SECRET}
    created = client.post(
        gitlab_url(row), json=gitlab_push("refs/tags/v1.0", before=ZERO, kind="tag_push"), headers=headers
    )
    assert created.status_code == 200, created.json
    # v1.0 is a release (PEP 440): stable is created to follow it, active, and built.
    assert sorted(created.json["versions_created"]) == ["stable", "v1.0"]
    assert created.json["versions"] == ["stable"]
    tag = version("v1.0")
    assert tag.type == "tag" and tag.identifier == SHA and tag.active is False
    tag.active = True
    db.session.commit()
    deleted = client.post(
        gitlab_url(row), json=gitlab_push("refs/tags/v1.0", after=ZERO, kind="tag_push"), headers=headers
    )
    assert deleted.json["versions_deactivated"] == ["v1.0"] and version("v1.0").active is False
    assert built_slugs() == ["stable"]  # the delete built nothing; stable keeps following v1.0
    assert "stable" in deleted.json["detail"] and version("stable").active is True
    replay = client.post(
        gitlab_url(row),
        json=gitlab_push("refs/heads/main"),
        headers={"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET, "Idempotency-Key": "k1"},
    )
    assert replay.status_code == 200 and deliveries()[-1].delivery_id == "k1"


# --- generic API -------------------------------------------------------------------------------------------


def test_generic_with_a_branches_list(client, project):
    row = integration(project, "generic_api_incoming")
    factories.VersionFactory(project=project, slug="v2", verbose_name="v2", identifier="v2")
    response = client.post(generic_url(row), json={"token": SECRET, "branches": ["main", "v2", "unknown"]})
    assert response.status_code == 200, response.json
    assert sorted(response.json["versions"]) == ["latest", "main", "v2"]
    assert response.json["versions_created"] == []  # the generic API never guesses branch or tag
    assert "unknown" in response.json["detail"]
    assert built_slugs() == ["latest", "main", "v2"]


def test_generic_form_encoded_with_one_branch_and_default(client, project):
    row = integration(project, "generic_api_incoming")
    response = client.post(
        generic_url(row), data={"token": SECRET, "branches": "main"}, headers={"X-Delivery-ID": "ci-42"}
    )
    assert response.status_code == 200, response.json
    assert built_slugs() == ["latest", "main"] and deliveries()[0].delivery_id == "ci-42"
    default = client.post(generic_url(row), json={"token": SECRET})
    assert sorted(default.json["versions"]) == ["latest", "main"]  # no branches: the default branch


def test_generic_default_branch_moves_latest_when_the_project_has_none(client, user):
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])  # latest follows "main"
    factories.VersionFactory(project=project, slug="trunk", verbose_name="trunk", identifier="trunk")
    row = integration(project, "generic_api_incoming")
    response = client.post(generic_url(row), json={"token": SECRET, "default_branch": "trunk"})
    assert sorted(response.json["versions"]) == ["latest", "trunk"], response.json
    assert version("latest").identifier == "trunk"


def test_generic_token_checks_and_bad_branches(client, project):
    row = integration(project, "generic_api_incoming")
    assert_error(client.post(generic_url(row), json={"branches": ["main"]}), 401, "auth_required")
    assert_error(client.post(generic_url(row), json={"token": "guess"}), 403, "permission_denied")
    assert_error(
        client.post(generic_url(row), json={"token": SECRET, "branches": 5}), 400, "validation_error"
    )
    assert_error(client.post(generic_url(row), json={"token": 5}), 400, "validation_error")
    assert builds() == [] and deliveries() == []


def test_delivery_is_listed_for_maintainers(client, project, headers):
    row = integration(project, "generic_api_incoming")
    client.post(
        generic_url(row), json={"token": SECRET, "branches": "main"}, headers={"X-Delivery-ID": "ci-1"}
    )
    listed = client.get(f"/api/v3/projects/pip/integrations/{row.id}/deliveries/", headers=headers)
    assert listed.status_code == 200, listed.json
    [item] = listed.json["results"]
    assert (item["delivery_id"], item["event"], item["http_status"]) == ("ci-1", "generic", 200)
    assert sorted(item["outcome"]["versions"]) == ["latest", "main"]
