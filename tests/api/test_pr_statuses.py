"""Commit statuses of pull-request builds, sent to a stand-in forge on 127.0.0.1 that checks every request.

The forge plays GitHub (``POST /repos/{o}/{r}/statuses/{sha}``, ``Authorization: Bearer``) or GitLab
(``POST /projects/{id}/statuses/{sha}``, ``PRIVATE-TOKEN``); anything else it receives is recorded as
a problem, and every test asserts there was none.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import BUILDS_QUEUE, WEBHOOKS_QUEUE, db, get_queue, get_redis
from app.models import Integration
from app.urls import site_url
from tests.api.test_pull_requests import PR_URL, builds_of, mr_payload, pr_commit, pr_payload, project, repo
from tests.api.test_webhooks_incoming import SECRET, github, gitlab_url
from tests.workers.conftest import BurstWorker, fresh, sphinx_files

__all__ = ["project", "repo"]  # fixtures shared with test_pull_requests

TOKEN = "ghp_statusTokenForTests0123456789"
GITHUB_PATH = re.compile(r"^/api/v3/repos/pypa/pip/statuses/([0-9a-f]{40})$")
GITLAB_PATH = re.compile(r"^/api/v4/projects/15/statuses/([0-9a-f]{40})$")


class Forge:
    """Records every request; ``answers`` are the statuses to give, in order (then 201)."""

    def __init__(self) -> None:
        self.statuses: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.answers: list[int] = []
        forge = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                forge.check(self.path, dict(self.headers.items()), body)
                status = forge.answers.pop(0) if forge.answers else 201
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self) -> None:  # noqa: N802
                forge.problems.append(f"GET {self.path}")
                self.send_response(405)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def check(self, path: str, headers: dict[str, str], raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            self.problems.append(f"not JSON: {raw[:100]!r}")
            return
        if headers.get("Content-Type") != "application/json":
            self.problems.append(f"content type {headers.get('Content-Type')}")
        if match := GITHUB_PATH.match(path):
            if headers.get("Authorization") != f"Bearer {TOKEN}" or "PRIVATE-TOKEN" in headers:
                self.problems.append(f"GitHub auth {headers.get('Authorization')!r}")
            if headers.get("Accept") != "application/vnd.github+json":
                self.problems.append("GitHub Accept")
            if set(body) != {"state", "target_url", "description", "context"} or body["state"] not in (
                    "pending", "success", "failure", "error"):
                self.problems.append(f"GitHub body {body}")
            self.statuses.append({"forge": "github", "sha": match.group(1), **body})
        elif match := GITLAB_PATH.match(path):
            if headers.get("PRIVATE-TOKEN") != TOKEN or "Authorization" in headers:
                self.problems.append(f"GitLab auth {headers.get('PRIVATE-TOKEN')!r}")
            if set(body) != {"state", "target_url", "description", "name"} or body["state"] not in (
                    "pending", "running", "success", "failed", "canceled"):
                self.problems.append(f"GitLab body {body}")
            self.statuses.append({"forge": "gitlab", "sha": match.group(1), **body})
        else:
            self.problems.append(f"POST {path}")

    def states(self) -> list[str]:
        return [s["state"] for s in self.statuses]


@pytest.fixture
def forge(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Forge]:
    f = Forge()
    monkeypatch.setitem(app.config, "GITHUB_API_URL", f.base + "/api/v3/")
    monkeypatch.setitem(app.config, "GITLAB_API_URL", f.base + "/api/v4")
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_DELAYS", "0")
    monkeypatch.setitem(app.config, "WEBHOOK_RETRIES", 2)
    yield f
    f.server.shutdown()
    f.server.server_close()


def run(*queues: str) -> None:
    BurstWorker([get_queue(q) for q in queues], connection=get_redis()).work(burst=True)


def statuses_then_build_then_statuses() -> None:
    """As a busy forge-facing worker and a build worker go: pending goes out before the build ends."""
    run(WEBHOOKS_QUEUE)
    run(BUILDS_QUEUE)
    run(WEBHOOKS_QUEUE)


def create(client: Any, headers: Any, kind: str = "github_webhook", token: str = TOKEN) -> int:
    body = {"integration_type": kind, "secret": SECRET, "status_token": token}
    response = client.post("/api/v3/projects/pip/integrations/", json=body, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["status_token_set"] is True and TOKEN not in json.dumps(response.json)
    return int(response.json["id"])


def row(integration_id: int) -> Integration:
    db.session.expire_all()
    found = db.session.get(Integration, integration_id)
    assert found is not None
    return found


def test_pending_then_success_with_the_preview_link(app, client, headers, project, repo, forge, monkeypatch):
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", "previews.test")
    integration = row(create(client, headers))
    stored = integration.status_token_encrypted or ""
    assert stored and TOKEN not in stored  # encrypted at rest
    sha = pr_commit(repo, 7, sphinx_files("Preview"))
    assert github(client, integration, "pull_request", pr_payload(7, "opened", sha)).status_code == 200
    statuses_then_build_then_statuses()
    [build] = builds_of("7")
    assert fresh(build.id).success is True
    assert forge.problems == []
    assert forge.states() == ["pending", "success"], forge.statuses
    pending, success = forge.statuses
    assert pending["sha"] == success["sha"] == sha
    assert pending["target_url"] == site_url("projects", "pip", "builds", build.id)
    assert success["target_url"] == "http://pip--7.previews.test/"
    assert success["context"] == "docs/docshelf:pip"


def test_a_failed_build_reports_failure_linking_the_build(client, headers, project, repo, forge):
    integration = row(create(client, headers))
    sha = pr_commit(repo, 8, {"docs/conf.py": "raise SystemExit('broken on purpose')\n"})
    github(client, integration, "pull_request", pr_payload(8, "opened", sha))
    statuses_then_build_then_statuses()
    [build] = builds_of("8")
    assert fresh(build.id).success is False
    assert forge.problems == [] and forge.states() == ["pending", "failure"]
    assert forge.statuses[-1]["target_url"] == site_url("projects", "pip", "builds", build.id)


def test_a_forge_error_is_retried(client, headers, project, repo, forge):
    integration = row(create(client, headers))
    sha = pr_commit(repo, 7, sphinx_files("Retry"))
    forge.answers = [502, 503]  # the first two attempts of the pending status fail
    github(client, integration, "pull_request", pr_payload(7, "opened", sha))
    run(WEBHOOKS_QUEUE)
    assert forge.states() == ["pending", "pending", "pending"] and forge.problems == []


def test_a_superseded_build_reports_nothing(client, headers, project, repo, forge):
    integration = row(create(client, headers))
    first = pr_commit(repo, 7, sphinx_files("First"))
    github(client, integration, "pull_request", pr_payload(7, "opened", first))
    second = pr_commit(repo, 7, sphinx_files("Second"))
    github(client, integration, "pull_request", pr_payload(7, "synchronize", second))
    statuses_then_build_then_statuses()
    assert forge.problems == []
    assert {s["sha"] for s in forge.statuses} == {second}
    assert forge.states()[-1] == "success"


def test_gitlab_merge_request_statuses(client, headers, project, repo, forge):
    integration = row(create(client, headers, "gitlab_webhook"))
    sha = pr_commit(repo, 3, sphinx_files("MR"), ref="merge-requests")
    response = client.post(gitlab_url(integration), json=mr_payload(3, "open", sha),
                           headers={"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Token": SECRET})
    assert response.status_code == 200
    statuses_then_build_then_statuses()
    assert forge.problems == [] and forge.states() == ["pending", "success"]
    # without EXTERNAL_DOCS_DOMAIN previews are not served: success links the build
    assert forge.statuses[-1]["target_url"] == site_url("projects", "pip", "builds", builds_of("3")[0].id)
    assert all(s["forge"] == "gitlab" and s["sha"] == sha and s["name"] == "docs/docshelf:pip"
               for s in forge.statuses)


def test_without_a_token_nothing_is_sent(client, headers, project, repo, forge):
    response = client.post("/api/v3/projects/pip/integrations/",
                           json={"integration_type": "github_webhook", "secret": SECRET}, headers=headers)
    assert response.json["status_token_set"] is False
    integration = row(int(response.json["id"]))
    sha = pr_commit(repo, 7, sphinx_files("Quiet"))
    github(client, integration, "pull_request", pr_payload(7, "opened", sha))
    statuses_then_build_then_statuses()
    assert forge.statuses == [] and forge.problems == []


def test_the_token_is_write_only_and_cannot_inject_headers(client, headers, project, forge):
    integration_id = create(client, headers)
    url = f"/api/v3/projects/pip/integrations/{integration_id}/"
    for text in (client.get(url, headers=headers).get_data(as_text=True),
                 client.get("/api/v3/projects/pip/integrations/", headers=headers).get_data(as_text=True)):
        assert TOKEN not in text and '"status_token_set": true' in text.replace('":true', '": true')
    for bad in ("abc\r\nX-Evil: 1", "has space inside", "short", "é" * 20):
        response = client.patch(url, json={"status_token": bad}, headers=headers)
        assert response.status_code == 400, response.json
        assert "status_token" in response.json["errors"]
    generic = client.post("/api/v3/projects/pip/integrations/", headers=headers,
                          json={"integration_type": "generic_api_incoming", "status_token": TOKEN})
    assert generic.status_code == 400 and "status_token" in generic.json["errors"]
    response = client.patch(url, json={"status_token": ""}, headers=headers)  # clears it
    assert response.status_code == 200 and response.json["status_token_set"] is False
    assert row(integration_id).status_token_encrypted is None


def test_payload_values_cannot_steer_the_status_request(client, headers, project, repo, forge):
    """A PR payload naming another repository path (../../) gets no statuses, not a request elsewhere."""
    integration = row(create(client, headers))
    sha = pr_commit(repo, 7, sphinx_files("Steer"))
    payload = pr_payload(7, "opened", sha)
    payload["pull_request"]["base"]["repo"]["full_name"] = "../../admin"
    payload["repository"]["full_name"] = "pypa/pip/../../x"
    github(client, integration, "pull_request", payload)
    statuses_then_build_then_statuses()
    assert forge.statuses == [] and forge.problems == []
    assert [b.external_url for b in builds_of("7")] == [PR_URL]
    assert db.session.scalars(select(Integration)).all()
