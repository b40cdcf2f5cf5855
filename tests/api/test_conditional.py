"""Conditional requests (app/api/conditional.py): ETag, 304 before serialising, 412 on a lost update.

The read cache is switched off here: these tests are about what a computed answer carries and when
a view may skip computing it. Which changes move an ETag is tests/api/test_conditional_changes.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, update

from app.extensions import db
from app.models import Build, Project, Version
from app.services import build_control
from app.services.accounts import create_token
from tests import factories
from tests.api.helpers import assert_error, token_headers

STRONG_TAG = re.compile(r'^"[0-9a-f]{32}"$')


@pytest.fixture(autouse=True)
def _uncached(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "RESPONSE_CACHE_ENABLED", False)


@pytest.fixture
def world(project: Any) -> dict[str, Any]:
    latest = project.versions[0]
    latest.built = True
    private = factories.VersionFactory(project=project, slug="secret", privacy_level="private", built=True)
    build = factories.BuildFactory(project=project, version=latest)
    factories.BuildFactory(project=project, version=private)
    db.session.commit()
    return {"project": project, "build_id": build.id, "private_version": private.slug}


def _urls(world: dict[str, Any]) -> list[str]:
    b = world["build_id"]
    return [
        "/api/v3/projects/pip/",
        "/api/v3/projects/pip/?expand=active_versions.last_build.config,permissions",
        "/api/v3/projects/",
        "/api/v3/projects/?expand=active_versions&limit=1&offset=0",
        "/api/v3/projects/pip/versions/",
        "/api/v3/projects/pip/versions/?expand=last_build",
        "/api/v3/projects/pip/versions/latest/",
        "/api/v3/projects/pip/versions/latest/?expand=last_build.config",
        "/api/v3/projects/pip/builds/",
        f"/api/v3/projects/pip/builds/{b}/",
        f"/api/v3/projects/pip/builds/{b}/?expand=config",
        "/api/v3/projects/pip/versions/latest/builds/",
        f"/api/v3/projects/pip/versions/latest/builds/{b}/",
    ]


def test_every_read_carries_a_strong_etag_and_a_current_one_answers_304(client, world, headers):
    for url in _urls(world):
        first = client.get(url, headers=headers)
        assert first.status_code == 200, url
        tag = first.headers["ETag"]
        assert STRONG_TAG.match(tag), (url, tag)
        assert first.headers["Cache-Control"] == "private, no-cache"
        again = client.get(url, headers=headers)
        assert again.headers["ETag"] == tag and again.data == first.data, url
        for sent in (tag, f'"nope", {tag}', "W/" + tag, "*"):  # If-None-Match compares weakly
            not_modified = client.get(url, headers={**headers, "If-None-Match": sent})
            assert not_modified.status_code == 304, (url, sent)
            assert not_modified.data == b""
            assert not_modified.headers["ETag"] == tag
            assert not_modified.headers["Cache-Control"] == "private, no-cache"
        head = client.head(url, headers={**headers, "If-None-Match": tag})
        assert head.status_code == 304 and head.headers["ETag"] == tag
        stale = client.get(url, headers={**headers, "If-None-Match": '"0123456789abcdef0123456789abcdef"'})
        assert stale.status_code == 200 and stale.data == first.data and stale.headers["ETag"] == tag


def test_the_etag_depends_on_the_query_and_the_caller_but_not_on_a_repeated_read(client, world, headers):
    tags = {url: client.get(url, headers=headers).headers["ETag"] for url in _urls(world)}
    assert len(set(tags.values())) == len(tags) - 1  # the two build lists of one version show the same
    bob = token_headers(factories.UserFactory(username="bob"))
    anonymous = client.get("/api/v3/projects/pip/").headers["ETag"]
    assert anonymous != client.get("/api/v3/projects/pip/", headers=bob).headers["ETag"]
    assert anonymous != tags["/api/v3/projects/pip/"]
    answer = client.get("/api/v3/projects/pip/", headers={**headers, "If-None-Match": anonymous})
    assert answer.status_code == 200  # another caller's tag is not this caller's


def test_a_finished_build_says_when_it_last_changed_a_running_one_does_not(client, world, project):
    url = f"/api/v3/projects/pip/builds/{world['build_id']}/"
    assert client.get(url).headers["Last-Modified"].endswith(" GMT")
    running = factories.BuildFactory(project=project, version=project.versions[0], state="building")
    response = client.get(f"/api/v3/projects/pip/builds/{running.id}/")
    assert "ETag" in response.headers and "Last-Modified" not in response.headers


def test_a_browser_asking_for_the_html_page_gets_no_tag(client, world):
    page = client.get("/api/v3/projects/pip/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html" and "ETag" not in page.headers
    again = client.get("/api/v3/projects/pip/", headers={"Accept": "text/html", "If-None-Match": "*"})
    assert again.status_code == 200


@pytest.mark.parametrize("caller", ["anonymous", "stranger"])
def test_a_304_never_says_that_a_private_project_exists(client, world, project, caller):
    project.privacy_level = "private"
    db.session.commit()
    headers = {} if caller == "anonymous" else token_headers(factories.UserFactory(username="eve"))
    b = world["build_id"]
    for url in ("/api/v3/projects/pip/", "/api/v3/projects/pip/versions/",
                "/api/v3/projects/pip/versions/latest/", "/api/v3/projects/pip/builds/",
                f"/api/v3/projects/pip/builds/{b}/", f"/api/v3/projects/pip/versions/latest/builds/{b}/",
                "/api/v3/projects/pip/superproject/"):
        plain = client.get(url, headers=headers)
        for sent in ("*", '"0123456789abcdef0123456789abcdef"'):
            conditional = client.get(url, headers={**headers, "If-None-Match": sent})
            body = assert_error(conditional, 404, "not_found")
            assert body["detail"] == plain.json["detail"], url


def test_a_private_version_is_a_404_for_whoever_may_not_see_it(client, world):
    bob = token_headers(factories.UserFactory(username="bob"))
    for url in (f"/api/v3/projects/pip/versions/{world['private_version']}/",
                f"/api/v3/projects/pip/versions/{world['private_version']}/builds/"):
        assert_error(client.get(url, headers={**bob, "If-None-Match": "*"}), 404, "not_found")


def test_a_304_keeps_the_token_scope_check(client, world, user):
    _token, key = create_token(user, "projects only", scopes=["projects:read"])
    headers = {"Authorization": f"Token {key}", "If-None-Match": "*"}
    assert_error(client.get(f"/api/v3/projects/pip/builds/{world['build_id']}/", headers=headers), 403,
                 "insufficient_scope")


@pytest.fixture
def orm_loads() -> Iterator[list[str]]:
    """The ORM objects of projects, versions and builds built while the block runs (their ``load``)."""
    loaded: list[str] = []
    listeners = [(model, lambda target, context, name=model.__name__: loaded.append(name))
                 for model in (Project, Version, Build)]
    for model, listener in listeners:
        event.listen(model, "load", listener)
    yield loaded
    for model, listener in listeners:
        event.remove(model, "load", listener)


def test_reads_build_no_orm_object_and_a_304_costs_what_a_200_does(client, world, headers, orm_loads,
                                                                   count_queries):
    """Both answers are made from the validators' rows (app.schemas.rows): a detail builds no ORM object,
    a list only the project (and version) its statement is built from; a 304 runs the same queries."""
    tags = {url: client.get(url, headers=headers).headers["ETag"] for url in _urls(world)}
    for url, tag in tags.items():
        path = url.split("?")[0]
        allowed = {"/api/v3/projects/pip/versions/": ["Project"], "/api/v3/projects/pip/builds/": ["Project"],
                   "/api/v3/projects/pip/versions/latest/builds/": ["Project", "Version"]}.get(path, [])
        orm_loads.clear()
        db.session.expunge_all()
        with count_queries() as counter:
            assert client.get(url, headers={**headers, "If-None-Match": tag}).status_code == 304
        assert orm_loads == allowed, url
        orm_loads.clear()
        db.session.expunge_all()
        with count_queries() as full:
            assert client.get(url, headers=headers).status_code == 200
        assert orm_loads == allowed, url
        assert counter.count == full.count, url


def test_if_match_applies_a_write_only_to_what_the_caller_read(client, world, headers):
    url = "/api/v3/projects/pip/"
    tag = client.get(url, headers=headers).headers["ETag"]
    stale = client.patch(url, json={"name": "Pip 2"}, headers={**headers, "If-Match": tag})
    assert stale.status_code == 204
    lost = client.patch(url, json={"name": "Pip 3"}, headers={**headers, "If-Match": tag})
    body = assert_error(lost, 412, "precondition_failed", "conflict")
    assert "If-Match" in body["detail"]
    assert client.get(url, headers=headers).json["name"] == "Pip 2"
    current = client.get(url, headers=headers).headers["ETag"]
    assert current != tag
    assert client.put(url, json={"name": "Pip 4", "repository": {"url": "https://git.example.com/pip.git"}},
                      headers={**headers, "If-Match": current}).status_code == 204
    assert client.patch(url, json={"name": "Pip 5"}, headers={**headers, "If-Match": "*"}).status_code == 204
    weak = client.get(url, headers=headers).headers["ETag"]
    assert_error(client.patch(url, json={"name": "x"}, headers={**headers, "If-Match": "W/" + weak}), 412,
                 "precondition_failed")  # If-Match compares strongly
    assert_error(client.patch(url, json={"name": "x"}, headers={**headers, "If-None-Match": weak}), 412,
                 "precondition_failed")
    assert client.get(url, headers=headers).json["name"] == "Pip 5"
    assert client.patch(url, json={"name": "Pip 6"}, headers=headers).status_code == 204  # unconditional


def test_if_match_on_a_version_and_on_a_delete(client, world, headers):
    url = "/api/v3/projects/pip/versions/latest/"
    tag = client.get(url, headers=headers).headers["ETag"]
    assert client.patch(url, json={"hidden": True}, headers={**headers, "If-Match": tag}).status_code == 204
    assert_error(client.patch(url, json={"hidden": False}, headers={**headers, "If-Match": tag}), 412,
                 "precondition_failed")
    assert client.get(url, headers=headers).json["hidden"] is True
    project_tag = client.get("/api/v3/projects/pip/", headers=headers).headers["ETag"]
    client.patch("/api/v3/projects/pip/", json={"homepage": "https://pip.example.com"}, headers=headers)
    assert_error(client.delete("/api/v3/projects/pip/", headers={**headers, "If-Match": project_tag}), 412,
                 "precondition_failed")
    assert client.get("/api/v3/projects/pip/", headers=headers).status_code == 200
    current = client.get("/api/v3/projects/pip/", headers=headers).headers["ETag"]
    assert client.delete("/api/v3/projects/pip/", headers={**headers, "If-Match": current}).status_code == 204


def test_a_write_the_caller_may_not_make_is_refused_as_without_if_match(client, world):
    eve = token_headers(factories.UserFactory(username="eve"))
    assert_error(client.patch("/api/v3/projects/pip/", json={"name": "x"}, headers={**eve, "If-Match": "*"}),
                 403, "permission_denied")


def test_a_write_landing_while_the_state_is_read_tags_the_answer_with_what_it_shows(client, world, headers,
                                                                                    project):
    """The body is built from the state the tag is computed from: a write landing between the
    state's queries gives an answer whose tag is the old name's, and that tag then gets the new one."""
    written: list[bool] = []
    project_id = project.id

    def write_once(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "own_relation" in statement and not written:  # the project's row was just read
            written.append(True)
            with db.engine.connect() as other:
                other.execute(update(Project).where(Project.id == project_id).values(name="Renamed"))
                other.commit()

    url = "/api/v3/projects/pip/?expand=active_versions"
    db.session.expunge_all()  # what a request of its own starts from
    event.listen(db.engine, "after_cursor_execute", write_once)
    try:
        raced = client.get(url, headers=headers)
    finally:
        event.remove(db.engine, "after_cursor_execute", write_once)
    assert written and raced.status_code == 200 and raced.json["name"] == "Pip"
    assert STRONG_TAG.match(raced.headers["ETag"])
    db.session.expunge_all()
    settled = client.get(url, headers={**headers, "If-None-Match": raced.headers["ETag"]})
    assert settled.status_code == 200 and settled.json["name"] == "Renamed"
    assert settled.headers["ETag"] != raced.headers["ETag"]


def test_a_build_poll_revalidates_until_the_build_moves(client, world, project, headers):
    """What a CI poll sees: 304 while nothing changes, the new state at once when it does."""
    build = factories.BuildFactory(project=project, version=project.versions[0], state="triggered",
                                   started=None)
    url = f"/api/v3/projects/pip/builds/{build.id}/"
    tag = client.get(url, headers=headers).headers["ETag"]
    assert client.get(url, headers={**headers, "If-None-Match": tag}).status_code == 304
    assert build_control.claim_build(build.id) == build_control.Claim.STARTED
    moved = client.get(url, headers={**headers, "If-None-Match": tag})
    assert moved.status_code == 200 and moved.json["state"]["code"] == "cloning"
    assert moved.headers["ETag"] != tag


def test_reads_return_their_connection_at_the_end_of_the_request(client, world, headers):
    """A read runs its token and validator queries on a pooled connection of its own (no ORM session),
    which goes back to the pool when the request ends: polling leaks nothing, answered or refused."""
    db.session.remove()
    before = db.engine.pool.checkedout()
    url = f"/api/v3/projects/pip/builds/{world['build_id']}/"
    tag = client.get(url, headers=headers).headers["ETag"]
    for _ in range(5):
        assert client.get(url, headers={**headers, "If-None-Match": tag}).status_code == 304
    assert client.get(url, headers={"Authorization": "Token nope"}).status_code == 401
    assert db.engine.pool.checkedout() == before
    # A 404 is the view's own answer, through the ORM session: that one is the app context's (here
    # the test's, which outlives the request), and the read connection is returned all the same.
    assert client.get("/api/v3/projects/pip/builds/999999/", headers=headers).status_code == 404
    db.session.remove()
    assert db.engine.pool.checkedout() == before
