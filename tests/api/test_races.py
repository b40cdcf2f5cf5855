"""Writes racing deletes over real HTTP: a row that vanishes mid-request is a 404 or 409, never a 500.

Each scenario creates its objects through the API of a live threaded server, then releases several
requests at once from real threads (a barrier), many times over: updates of an object while another
client deletes it (or deletes its project). Whatever order the database serialises them in, every
answer must be one the operation documents, and every error body must follow the one error contract.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Project
from app.services import notifications as services_notifications
from app.services import translations as services_translations
from tests import factories
from tests.api.helpers import CONTRACT_KEYS
from tests.browser import serve

ITERATIONS = int(os.environ.get("DOCSHELF_RACE_ITERATIONS", "12"))
REPOSITORY = {"url": "https://git.example.com/race.git", "type": "git"}
#: What each kind of request may answer when the object (or its project) vanishes meanwhile.
WRITE = {200, 201, 202, 204, 404, 409}
DELETE = {204, 404, 409}
READ = {200, 404}
LIST = {200, 404, 409}  # 409: the page changed while it was read (retryable)

#: method, path, JSON body, the statuses it may answer, and optionally other credentials.
Call = tuple[str, str, Any, set[int]] | tuple[str, str, Any, set[int], dict[str, str]]


@dataclass
class Answer:
    method: str
    path: str
    status: int
    body: Any
    request_id: str | None


@dataclass
class Live:
    """A client of the live server: one connection per request, so requests truly overlap."""

    url: str
    headers: dict[str, str]
    answers: list[Answer] = field(default_factory=list)

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        try:
            sent = {**self.headers, **(headers or {})}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                sent["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            parsed = json.loads(raw) if raw and "json" in (response.getheader("Content-Type") or "") else raw
            return Answer(method, path, response.status, parsed, response.getheader("X-Request-ID"))
        finally:
            conn.close()

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        """A set-up request, which must succeed."""
        answer = self.call(method, path, body)
        assert 200 <= answer.status < 300, (method, path, answer.status, answer.body)
        return answer.body

    def race(self, *calls: Call) -> list[Answer]:
        """Send every call at the same moment from its own thread; check each answer."""
        barrier = threading.Barrier(len(calls))

        def send(call: Call) -> Answer:
            method, path, body, _, *headers = call
            barrier.wait()
            return self.call(method, path, body, *headers)

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            answers = list(pool.map(send, calls))
        for call, answer in zip(calls, answers, strict=True):
            check(answer, call[3])
        self.answers.extend(answers)
        return answers


def check(answer: Answer, allowed: set[int]) -> None:
    where = f"{answer.method} {answer.path} → {answer.status}: {answer.body!r}"
    assert answer.status in allowed, where
    if answer.status >= 400:
        body = answer.body
        assert isinstance(body, dict) and set(body) >= CONTRACT_KEYS, where
        assert body["status"] == answer.status and body["detail"], where
        assert body["request_id"] == answer.request_id, where


@pytest.fixture
def live(app: Flask) -> Iterator[Live]:
    admin = factories.UserFactory(username="racer", role="admin")
    headers = {"Authorization": f"Token {factories.make_token(admin)}", "Accept": "application/json"}
    with serve(app, "race-server") as url:
        yield Live(url, headers)


def new_project(live: Live, n: int, prefix: str = "race") -> str:
    slug = f"{prefix}-{n}"
    live.ok("POST", "/api/v3/projects/", {"name": slug, "repository": REPOSITORY})
    return slug


def project_row(slug: str) -> Project:
    db.session.expire_all()  # the server's threads wrote it
    return db.session.scalars(select(Project).where(Project.slug == slug)).one()


Scenario = Callable[[Live, int], None]


def user_headers(username: str) -> dict[str, str]:
    """Credentials of another (non-admin) user, made in the test's own session."""
    return {"Authorization": f"Token {factories.make_token(factories.UserFactory(username=username))}"}


def projects(live: Live, n: int) -> None:
    slug = new_project(live, n)
    path = f"/api/v3/projects/{slug}/"
    live.race(
        ("PATCH", path, {"homepage": "https://example.com/"}, WRITE),
        ("PUT", path, {"name": slug, "repository": REPOSITORY, "language": "fr"}, WRITE),
        ("GET", path + "?expand=active_versions", None, READ),
        ("DELETE", path, None, DELETE),
    )


def versions(live: Live, n: int) -> None:
    slug = new_project(live, n)
    factories.VersionFactory(project=project_row(slug), slug="stable", active=False)
    path = f"/api/v3/projects/{slug}/versions/stable/"
    live.race(
        ("PATCH", path, {"active": True}, WRITE),  # activating builds it: a Build row for a vanishing version
        ("PUT", path, {"hidden": True}, WRITE),
        ("GET", path + "?expand=last_build", None, READ),
        ("DELETE", f"/api/v3/projects/{slug}/", None, DELETE),
    )


def builds(live: Live, n: int) -> None:
    slug = new_project(live, n)
    base = f"/api/v3/projects/{slug}"
    live.race(
        ("POST", f"{base}/versions/latest/builds/", None, WRITE),
        ("POST", f"{base}/sync-versions/", None, WRITE),
        ("DELETE", f"{base}/", None, DELETE),
    )


def redirects(live: Live, n: int) -> None:
    slug = new_project(live, n)
    base = f"/api/v3/projects/{slug}/redirects/"
    first = live.ok("POST", base, {"type": "page", "from_url": "/a.html", "to_url": "/b.html"})
    live.ok("POST", base, {"type": "page", "from_url": "/c.html", "to_url": "/d.html"})
    path = f"{base}{first['pk']}/"
    live.race(
        ("PATCH", path, {"position": 1}, WRITE),
        ("PUT", path, {"type": "exact", "from_url": "/x", "to_url": "/y"}, WRITE),
        ("POST", base, {"type": "page", "from_url": "/e.html", "to_url": "/f.html"}, WRITE),
        ("DELETE", path, None, DELETE),
        ("DELETE", f"/api/v3/projects/{slug}/", None, DELETE),
    )


def environment_variables(live: Live, n: int) -> None:
    slug = new_project(live, n)
    base = f"/api/v3/projects/{slug}/environmentvariables/"
    variable = live.ok("POST", base, {"name": "FIRST", "value": "1"})
    path = f"{base}{variable['pk']}/"
    live.race(
        ("POST", base, {"name": "SECOND", "value": "2"}, WRITE),
        ("GET", path, None, READ),
        ("DELETE", path, None, DELETE),
        ("DELETE", path, None, DELETE),
        ("DELETE", f"/api/v3/projects/{slug}/", None, DELETE),
    )


def webhooks(live: Live, n: int) -> None:
    slug = new_project(live, n)
    base = f"/api/v3/projects/{slug}/webhooks/"
    hook = live.ok("POST", base, {"url": "https://hooks.example.com/x", "events": ["build:passed"]})
    path = f"{base}{hook['id']}/"
    live.race(
        ("PATCH", path, {"active": False}, WRITE),
        ("PATCH", path, {"events": ["build:failed"]}, WRITE),
        ("GET", path + "deliveries/", None, LIST),
        ("DELETE", path, None, DELETE),
    )


def integrations(live: Live, n: int) -> None:
    slug = new_project(live, n)
    base = f"/api/v3/projects/{slug}/integrations/"
    created = live.ok("POST", base, {"integration_type": "generic_api_incoming"})
    path = f"{base}{created['id']}/"
    incoming = f"/api/v2/webhook/{slug}/{created['id']}/"
    live.race(
        ("PATCH", path, {"build_new_versions": True}, WRITE),
        ("POST", path + "regenerate_secret/", None, WRITE),
        ("POST", incoming, {"token": created["secret"], "branches": ["main"]}, WRITE | {401, 403}),
        ("DELETE", path, None, DELETE),
    )


def subprojects(live: Live, n: int) -> None:
    parent, child = new_project(live, n, "parent"), new_project(live, n, "child")
    base = f"/api/v3/projects/{parent}/subprojects/"
    live.race(
        ("POST", base, {"child": child, "alias": "sub"}, WRITE | {400}),  # 400: the child vanished first
        ("GET", base, None, LIST),
        ("DELETE", f"/api/v3/projects/{child}/", None, DELETE),
    )
    live.ok("POST", base, {"child": new_project(live, n, "other")})
    live.race(
        ("GET", f"{base}other-{n}/", None, READ),
        ("DELETE", f"{base}other-{n}/", None, DELETE),
        ("DELETE", f"/api/v3/projects/other-{n}/", None, DELETE),
        ("DELETE", f"/api/v3/projects/{parent}/", None, DELETE),
    )


def translations(live: Live, n: int) -> None:
    main, translation = new_project(live, n, "main"), new_project(live, n, "translation")
    live.ok("PATCH", f"/api/v3/projects/{translation}/", {"language": "de"})
    services_translations.set_translation(project_row(main), project_row(translation))
    live.race(
        ("GET", f"/api/v3/projects/{main}/translations/?expand=active_versions", None, LIST),
        ("GET", f"/api/v3/projects/{translation}/", None, READ),
        ("PATCH", f"/api/v3/projects/{translation}/", {"language": "es"}, WRITE),
        ("DELETE", f"/api/v3/projects/{translation}/", None, DELETE),
        ("DELETE", f"/api/v3/projects/{main}/", None, DELETE),
    )


def tokens(live: Live, n: int) -> None:
    created = live.ok("POST", "/api/v3/tokens/", {"name": f"race-{n}", "scopes": ["tokens"]})
    path = f"/api/v3/tokens/{created['id']}/"
    own = {"Authorization": f"Token {created['token']}"}
    live.race(
        ("POST", "/api/v3/tokens/", {"name": "child", "scopes": ["tokens"]}, WRITE | {401, 403}, own),
        ("GET", path, None, READ | {401, 403}, own),
        ("DELETE", path, None, DELETE),
        ("DELETE", path, None, DELETE),
    )


def notifications(live: Live, n: int) -> None:
    slug = new_project(live, n)
    project = project_row(slug)
    build = factories.BuildFactory(version=project.versions[0], state="finished", success=False, error="boom")
    services_notifications.add_for_build(build, services_notifications.BUILD_FAILED)
    db.session.commit()
    build_path = f"/api/v3/projects/{slug}/builds/{build.id}/notifications/"
    listed = live.ok("GET", build_path)["results"]
    path = f"{build_path}{listed[0]['id']}/"
    live.race(
        ("PATCH", path, {"state": "read"}, WRITE),
        ("PATCH", path, {"state": "unread"}, WRITE),
        ("GET", path, None, READ),
        ("DELETE", f"/api/v3/projects/{slug}/", None, DELETE),
    )


def invitations(live: Live, n: int) -> None:
    slug = new_project(live, n)
    invitee = user_headers(f"invitee{n}")
    sent = live.ok("POST", f"/api/v3/projects/{slug}/invitations/", {"username": f"invitee{n}"})
    path = f"/api/v3/projects/{slug}/invitations/{sent['id']}/"
    answer = f"/api/v3/invitations/{sent['id']}/"
    live.race(
        ("POST", answer + "accept/", {}, WRITE, invitee),
        ("POST", answer + "decline/", {}, WRITE, invitee),
        ("DELETE", path, None, DELETE),
        ("DELETE", f"/api/v3/projects/{slug}/", None, DELETE),
    )


def sharing(live: Live, n: int) -> None:
    slug = new_project(live, n)
    factories.UserFactory(username=f"reader{n}")
    base = f"/api/v3/projects/{slug}"
    live.ok("POST", f"{base}/grants/", {"username": f"reader{n}"})
    live.race(
        ("POST", f"{base}/grants/", {"username": f"reader{n}"}, WRITE),
        ("DELETE", f"{base}/grants/reader{n}/", None, DELETE),
        ("POST", f"{base}/maintainers/", {"username": f"reader{n}"}, WRITE),
        ("DELETE", f"{base}/maintainers/reader{n}/", None, DELETE),
        ("DELETE", f"{base}/", None, DELETE),
    )


SCENARIOS: dict[str, Scenario] = {
    scenario.__name__: scenario
    for scenario in (
        projects, versions, builds, redirects, environment_variables, webhooks, integrations,
        subprojects, translations, tokens, notifications, invitations, sharing,
    )
}


# Two DELETEs of one row: the one that finds it gone already answers 204 (the outcome it asked for),
# and SQLAlchemy warns that its DELETE matched no row; pytest would turn that warning into a 500.
@pytest.mark.filterwarnings(r"ignore:DELETE statement on table '\w+' expected to delete 1 row\(s\); 0 were")
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_writes_racing_deletes_never_answer_500(live: Live, name: str) -> None:
    for n in range(ITERATIONS):
        SCENARIOS[name](live, n)
    assert live.answers, "no request raced"
    assert all(a.status < 500 for a in live.answers)
    assert any(a.method == "DELETE" and a.status == 204 for a in live.answers), "nothing was deleted"


def test_a_token_created_while_its_parent_is_revoked_is_revoked_too(live: Live) -> None:
    for n in range(ITERATIONS * 3):
        parent = live.ok("POST", "/api/v3/tokens/", {"name": f"parent-{n}", "scopes": ["tokens"]})
        child, _ = live.race(
            ("POST", "/api/v3/tokens/", {"name": "child", "scopes": ["tokens"]}, WRITE | {401, 403},
             {"Authorization": f"Token {parent['token']}"}),
            ("DELETE", f"/api/v3/tokens/{parent['id']}/", None, {204}),
        )
        if child.status == 201:  # created before or after the revocation, it does not outlive its parent
            assert live.ok("GET", f"/api/v3/tokens/{child.body['id']}/")["revoked"] is True, n
