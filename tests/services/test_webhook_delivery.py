"""Outgoing webhooks end to end: real builds, a real RQ worker, a real HTTP receiver that checks signatures.

The receiver is an ``http.server`` on 127.0.0.1 (``WEBHOOKS_ALLOW_LOCAL`` is on in tests); it verifies
``X-Hub-Signature-256`` itself, with the secret the create response showed, as a real receiver would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from sqlalchemy import select

from app.extensions import BUILDS_QUEUE, DEFAULT_QUEUE, WEBHOOKS_QUEUE, db, get_queue, get_redis
from app.models import Build, Webhook, WebhookDelivery
from app.services import build_control, queueing, webhook_delivery
from tests import factories
from tests.conftest import TEST_DNS
from tests.workers.conftest import BurstWorker, Repo, fresh, sphinx_files, wait_for

ALL_EVENTS = ["build:triggered", "build:passed", "build:failed"]


class Receiver:
    """Records every POST; answers with the queued ``(status, delay[, body])`` tuples, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[tuple[Any, ...]] = []
        self.secret = ""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                expected = "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                receiver.requests.append({
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "body": body,
                    "verified": hmac.compare_digest(self.headers.get("X-Hub-Signature-256", ""), expected),
                })
                status, delay, *rest = receiver.answers.pop(0) if receiver.answers else (200, 0.0)
                if delay:
                    time.sleep(delay)
                payload = rest[0] if rest else f"answer {status}".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that timed out closed the socket under a sleeping handler

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/hook?source=docshelf"

    def events(self) -> list[str]:
        return [r["headers"]["X-Docshelf-Event"] for r in self.requests]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def fast_retries(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without waiting, so one burst worker runs every attempt."""
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_DELAYS", "0")
    monkeypatch.setitem(app.config, "WEBHOOK_RETRIES", 2)


def work(with_scheduler: bool = False) -> None:
    queues = [get_queue(BUILDS_QUEUE), get_queue(DEFAULT_QUEUE), get_queue(WEBHOOKS_QUEUE)]
    BurstWorker(queues, connection=get_redis()).work(burst=True, with_scheduler=with_scheduler)


def create_webhook(client: Any, headers: Any, receiver: Receiver, slug: str = "hooked", **fields: Any) -> int:
    body = {"url": receiver.url(), "events": ALL_EVENTS, **fields}
    response = client.post(f"/api/v3/projects/{slug}/webhooks/", json=body, headers=headers)
    assert response.status_code == 201, response.json
    receiver.secret = response.json["secret"]
    return int(response.json["id"])


def deliveries(client: Any, headers: Any, webhook_id: int, slug: str = "hooked") -> list[dict[str, Any]]:
    response = client.get(f"/api/v3/projects/{slug}/webhooks/{webhook_id}/deliveries/", headers=headers)
    assert response.status_code == 200, response.json
    return list(reversed(response.json["results"]))  # oldest first, for reading the tests


def trigger(client: Any, headers: Any, slug: str = "hooked") -> int:
    response = client.post(f"/api/v3/projects/{slug}/versions/latest/builds/", headers=headers)
    assert response.status_code == 202, response.json
    return int(response.json["build"]["id"])


@pytest.fixture
def finished_build(user: Any) -> Build:
    """A build that just finished, in a project with a webhook-able name (quotes test the escaping)."""
    project = factories.ProjectFactory(name='Hooked "Docs"', slug="hooked", maintainers=[user])
    return factories.BuildFactory(version=project.versions[0], triggered_by_id=user.id)


# --- through real builds -------------------------------------------------------------------------------


def test_a_passing_build_sends_triggered_then_passed_signed(client, user, headers, receiver, tmp_path):
    repo = Repo(tmp_path / "repo")
    commit = repo.commit(sphinx_files("Hooked"))
    factories.ProjectFactory(name="Hooked", slug="hooked", repository_url=repo.url, maintainers=[user])
    webhook_id = create_webhook(client, headers, receiver)
    build_id = trigger(client, headers)
    work()

    assert fresh(build_id).success is True
    assert receiver.events() == ["build:triggered", "build:passed"]
    assert all(r["verified"] for r in receiver.requests)
    triggered, passed = receiver.bodies()
    assert triggered["event"] == "build:triggered" and triggered["build"]["state"] == "triggered"
    assert triggered["build"]["success"] is None and triggered["build"]["id"] == build_id
    assert passed["build"] == {
        "id": build_id, "state": "finished", "success": True, "error": None, "commit": commit,
        "version": "latest",
        "urls": {
            "build": f"http://localhost/projects/hooked/builds/{build_id}/",
            "project": "http://localhost/projects/hooked/",
            "version": "http://localhost/projects/hooked/versions/latest/",
        },
    }
    assert passed["project"] == {"slug": "hooked", "name": "Hooked"}
    assert passed["docs_url"].startswith("http://docs.localhost/docs/hooked/")
    rows = deliveries(client, headers, webhook_id)
    for request, row in zip(receiver.requests, rows, strict=True):
        assert request["path"] == "/hook?source=docshelf"
        assert request["headers"]["Content-Type"] == "application/json"
        assert request["headers"]["User-Agent"] == "Docshelf-Webhooks/1"
        assert request["headers"]["X-Docshelf-Delivery"] == str(row["id"])
        assert request["body"].decode() == row["request_body"]
        assert row["state"] == "delivered" and row["attempts"] == 1 and row["status_code"] == 200
        assert row["error"] is None and row["response_body"] == "answer 200" and row["build"] == build_id
        assert row["delivered"] and row["last_attempt"] == row["delivered"]


def test_a_failing_build_sends_build_failed(client, user, headers, receiver, tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.commit(sphinx_files("Broken", extra="raise RuntimeError('conf.py is broken')\n"))
    factories.ProjectFactory(name="Hooked", slug="hooked", repository_url=repo.url, maintainers=[user])
    create_webhook(client, headers, receiver, events=["build:failed"])
    build_id = trigger(client, headers)
    work()

    build = fresh(build_id)
    assert build.success is False and build.state == "finished"
    assert receiver.events() == ["build:failed"] and receiver.requests[0]["verified"]
    body = receiver.bodies()[0]
    assert body["build"]["success"] is False and body["build"]["error"] == build.error


# --- retries, timeouts, templates (events fired on a finished build) ----------------------------------


def test_a_500_is_retried_then_delivered(client, headers, receiver, finished_build, fast_retries):
    webhook_id = create_webhook(client, headers, receiver)
    receiver.answers = [(500, 0)]
    webhook_delivery.fire(finished_build, "build:passed")
    work()
    assert len(receiver.requests) == 2 and all(r["verified"] for r in receiver.requests)
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    [row] = deliveries(client, headers, webhook_id)
    assert row["state"] == "delivered" and row["attempts"] == 2
    assert row["status_code"] == 200 and row["error"] is None


def test_always_500_fails_after_the_retries(client, headers, receiver, finished_build, fast_retries):
    webhook_id = create_webhook(client, headers, receiver)
    receiver.answers = [(500, 0)] * 10
    webhook_delivery.fire(finished_build, "build:failed")
    work()
    assert len(receiver.requests) == 3  # the first attempt and WEBHOOK_RETRIES=2 retries
    [row] = deliveries(client, headers, webhook_id)
    assert row["state"] == "failed" and row["attempts"] == 3 and row["delivered"] is None
    assert row["status_code"] == 500 and row["error"] == "HTTP 500" and row["response_body"] == "answer 500"


def test_retries_wait_for_the_scheduler(app, client, headers, receiver, finished_build, monkeypatch):
    """With a real delay the retry is a scheduled job: a burst worker leaves it for RQ's scheduler."""
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_DELAYS", "1")
    webhook_id = create_webhook(client, headers, receiver)
    receiver.answers = [(503, 0)]
    webhook_delivery.fire(finished_build, "build:passed")
    work()
    [row] = deliveries(client, headers, webhook_id)
    assert row["state"] == "pending" and row["attempts"] == 1 and row["status_code"] == 503
    assert get_queue(WEBHOOKS_QUEUE).scheduled_job_registry.get_job_ids() == [
        f"webhook-delivery-{row['id']}-2"
    ]

    def retried() -> bool:
        work(with_scheduler=True)
        return deliveries(client, headers, webhook_id)[0]["state"] == "delivered"

    wait_for(retried, timeout=30, interval=0.3)
    assert len(receiver.requests) == 2 and deliveries(client, headers, webhook_id)[0]["attempts"] == 2


def test_a_slow_receiver_times_out(app, client, headers, receiver, finished_build, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT", 0.3)
    monkeypatch.setitem(app.config, "WEBHOOK_RETRIES", 0)
    webhook_id = create_webhook(client, headers, receiver)
    receiver.answers = [(200, 3.0)]
    webhook_delivery.fire(finished_build, "build:passed")
    work()
    assert len(receiver.requests) == 1  # it arrived; the answer came too late
    [row] = deliveries(client, headers, webhook_id)
    assert row["state"] == "failed" and row["attempts"] == 1
    assert row["status_code"] is None and row["error"] == "Timed out after 0.3 s."


def test_connection_refused_is_recorded(app, client, headers, receiver, finished_build, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRIES", 0)
    webhook_id = create_webhook(client, headers, receiver)
    receiver.server.shutdown()
    receiver.server.server_close()  # nothing listens on the port any more
    webhook_delivery.fire(finished_build, "build:passed")
    work()
    [row] = deliveries(client, headers, webhook_id)
    assert row["state"] == "failed" and row["error"] == "Connection refused."


def test_payload_template_is_rendered_with_json_escaping(client, user, headers, receiver, finished_build):
    template = (
        '{"text": "{{ event }}: build {{ build.id }} of {{ project.name }} ({{project.slug}})",'
        ' "commit": "{{ build.commit }}", "version": "{{ version.slug }}/{{ version.name }}",'
        ' "by": "{{ invoker.name }}", "when": "{{ build.start_date }}", "links": ["{{ build.url }}",'
        ' "{{ project.url }}", "{{ build.docs_url }}"], "id": {{ build.id }}, "other": "{{ unknown.var }}"}'
    )
    webhook_id = create_webhook(client, headers, receiver, payload=template)
    webhook_delivery.fire(finished_build, "build:passed")
    work()
    [body] = receiver.bodies()
    build = finished_build
    assert body["text"] == f'build:passed: build {build.id} of Hooked "Docs" (hooked)'
    assert body["commit"] == build.commit and body["version"] == "latest/latest" and body["by"] == "alice"
    assert body["when"] == build.started.replace(tzinfo=None, microsecond=0).isoformat()
    assert body["links"][:2] == [f"http://localhost/projects/hooked/builds/{build.id}/",
                                 "http://localhost/projects/hooked/"]
    assert body["links"][2].startswith("http://docs.localhost/docs/hooked/")
    assert body["id"] == build.id and body["other"] == "{{ unknown.var }}"
    assert receiver.requests[0]["verified"]
    assert deliveries(client, headers, webhook_id)[0]["state"] == "delivered"


def test_a_template_that_breaks_for_this_build_is_not_sent(client, headers, receiver, finished_build):
    """A stored template that is not JSON for this build (written to the row directly: the API refuses
    it) is recorded as failed and never sent."""
    webhook_id = create_webhook(client, headers, receiver)
    db.session.get(Webhook, webhook_id).payload = '{"commit": {{ build.commit }}}'
    db.session.commit()
    webhook_delivery.fire(finished_build, "build:passed")
    work()
    assert receiver.requests == []
    [row] = deliveries(client, headers, webhook_id)
    assert row["state"] == "failed" and "valid JSON" in row["error"] and row["attempts"] == 0


def test_only_active_webhooks_that_want_the_event_fire(client, headers, receiver, finished_build):
    wants_failed = create_webhook(client, headers, receiver, events=["build:failed"])
    inactive = create_webhook(client, headers, receiver, active=False)
    wanted = create_webhook(client, headers, receiver, events=["build:passed"])
    ids = webhook_delivery.fire(finished_build, "build:passed")
    rows = db.session.scalars(select(WebhookDelivery)).all()
    assert [(r.id, r.webhook_id) for r in rows] == [(ids[0], wanted)]
    assert not deliveries(client, headers, wants_failed) and not deliveries(client, headers, inactive)


def test_cancelled_builds_send_build_failed(client, headers, receiver, finished_build):
    """A decision: a cancelled build (by a user or housekeeping's reaping) reports build:failed."""
    create_webhook(client, headers, receiver)
    finished_build.state, finished_build.success, finished_build.finished = "building", None, None
    db.session.commit()
    build_control.finish_build(
        finished_build, success=False, error="The build was cancelled.", state="cancelled"
    )
    work()
    assert receiver.events() == ["build:failed"]
    assert receiver.bodies()[0]["build"]["state"] == "cancelled"


def test_odd_urls_and_answers_are_sent_and_recorded_safely(client, headers, receiver, finished_build):
    """A non-ASCII path is percent-encoded; a NUL or invalid UTF-8 in the answer is stored harmlessly."""
    url = f"http://127.0.0.1:{receiver.port}/hoök?x=ü&y=%20"
    webhook_id = create_webhook(client, headers, receiver, url=url)
    receiver.answers = [(200, 0, b"ok\x00\xff" + b"z" * 10_000)]
    webhook_delivery.fire(finished_build, "build:passed")
    work()
    assert receiver.requests[0]["path"] == "/ho%C3%B6k?x=%C3%BC&y=%20"
    [row] = deliveries(client, headers, webhook_id)
    assert row["state"] == "delivered"
    assert row["response_body"].startswith("ok\ufffd\ufffdzz") and len(row["response_body"]) == 2048


# --- SSRF at delivery time -----------------------------------------------------------------------------


def test_the_checked_address_is_the_one_connected_to(client, headers, receiver, finished_build, monkeypatch):
    """``hooks.example.test`` resolves only through the app's resolver: the connection used its answer."""
    monkeypatch.setitem(TEST_DNS, "hooks.example.test", ["127.0.0.1"])
    webhook_id = create_webhook(client, headers, receiver, url=receiver.url("hooks.example.test"))
    webhook_delivery.fire(finished_build, "build:passed")
    work()
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.example.test:{receiver.port}"
    assert deliveries(client, headers, webhook_id)[0]["state"] == "delivered"


def test_a_name_rebound_to_a_private_address_is_refused(app, client, headers, receiver, finished_build,
                                                        monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOCAL", False)
    monkeypatch.setitem(TEST_DNS, "hooks.example.test", ["93.184.216.34"])  # public when stored
    webhook_id = create_webhook(client, headers, receiver, url=receiver.url("hooks.example.test"))
    monkeypatch.setitem(TEST_DNS, "hooks.example.test", ["93.184.216.34", "127.0.0.1"])  # rebound
    webhook_delivery.fire(finished_build, "build:passed")
    work()
    assert receiver.requests == []
    [row] = deliveries(client, headers, webhook_id)
    assert row["state"] == "failed" and row["attempts"] == 1 and row["status_code"] is None
    assert row["error"].startswith("Refused by the SSRF check:") and "loopback" in row["error"]


# --- Redis down when an event fires --------------------------------------------------------------------


def dead_redis() -> Redis:
    # A real connection to a loopback port where nothing listens (as tests/fault/test_redis_down.py).
    return Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))


def test_redis_down_when_a_build_finishes(app, client, headers, receiver, finished_build, monkeypatch):
    webhook_id = create_webhook(client, headers, receiver)
    finished_build.state, finished_build.success, finished_build.finished = "building", None, None
    db.session.commit()
    build_id = finished_build.id
    monkeypatch.setitem(app.extensions, "docshelf_redis", dead_redis())
    build_control.finish_build(finished_build, success=True)
    build = fresh(build_id)
    assert build.state == "finished" and build.success is True  # the build itself is unaffected
    [row] = deliveries(client, headers, webhook_id)
    assert row["state"] == "failed" and row["error"] == webhook_delivery.QUEUE_ERROR and row["attempts"] == 0


def test_webhook_queue_down_at_trigger_still_202(app, client, user, headers, receiver, monkeypatch, tmp_path):
    """Only the webhooks queue is unreachable: the build is queued and answered 202 as usual."""
    factories.ProjectFactory(name="Hooked", slug="hooked", maintainers=[user])
    webhook_id = create_webhook(client, headers, receiver)
    real_get_queue = queueing.get_queue  # every job is queued through app.services.queueing
    monkeypatch.setattr(
        queueing,
        "get_queue",
        lambda name: Queue(name, connection=dead_redis()) if name == WEBHOOKS_QUEUE else real_get_queue(name),
    )
    build_id = trigger(client, headers)
    assert get_queue(BUILDS_QUEUE).job_ids == [f"build-{build_id}"]
    [row] = deliveries(client, headers, webhook_id)
    assert row["event"] == "build:triggered" and row["build"] == build_id
    assert row["state"] == "failed" and row["error"] == webhook_delivery.QUEUE_ERROR


def test_housekeeping_requeues_a_delivery_whose_job_was_lost(client, headers, receiver, finished_build):
    """A worker killed mid-attempt (or a Redis that lost the job) must not leave a delivery pending."""
    from workers.jobs import housekeeping

    webhook_id = create_webhook(client, headers, receiver)
    [delivery_id] = webhook_delivery.fire(finished_build, "build:passed")
    # Still queued, and idle for less than the grace: housekeeping leaves it alone (no double sending).
    assert housekeeping(interval=60, stale_after=3600)["webhook_deliveries"] == []
    assert housekeeping(interval=60, stale_after=0)["webhook_deliveries"] == []  # its job is still queued
    get_queue(WEBHOOKS_QUEUE).empty()  # the job is lost
    assert housekeeping(interval=60, stale_after=3600)["webhook_deliveries"] == []  # not idle long enough
    assert housekeeping(interval=60, stale_after=0)["webhook_deliveries"] == [delivery_id]
    work()
    assert len(receiver.requests) == 1 and receiver.requests[0]["verified"]
    [row] = deliveries(client, headers, webhook_id)
    assert row["state"] == "delivered" and row["attempts"] == 1
    assert housekeeping(interval=60, stale_after=0)["webhook_deliveries"] == []  # nothing pending any more
