"""ETags change exactly when the representation changes (app/services/validators.py).

A set of probes (project, version and build details and lists, expanded and not, for the maintainer,
another user and an anonymous caller) is read before and after every kind of write: for each probe
the ETag must change if and only if its body did, and revalidating with the old ETag must answer
304 exactly when the body is the same (a stale 304 is the worst outcome: a client keeps an answer
that is no longer true). Writes that change no representation must leave every ETag alone.

Each request starts from an empty identity map, as a request of its own does in a server process
(the tests share one session with the app).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.locks import lock_rows
from app.models import Build, BuildCommand, Project, User, Version
from app.services import build_control, invitations, translations
from app.services.accounts import create_token
from tests import factories
from tests.api.helpers import token_headers


@pytest.fixture(autouse=True)
def _uncached(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "RESPONSE_CACHE_ENABLED", False)


@dataclass(frozen=True)
class Seen:
    body: bytes
    etag: str


class World:
    """alice maintains pip (latest built with a finished build, 2.0 inactive, a private version), its
    Spanish translation and a future superproject; carol's project and bob, who maintains nothing."""

    def __init__(self, client: Any, alice: Any) -> None:
        self.client = client
        bob = factories.UserFactory(username="bob")
        carol = factories.UserFactory(username="carol")
        pip = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[alice])
        latest = pip.versions[0]
        latest.built, latest.built_formats = True, ["htmlzip"]
        factories.VersionFactory(project=pip, slug="2.0", active=False)
        factories.VersionFactory(project=pip, slug="secret", privacy_level="private", built=True)
        es = factories.ProjectFactory(name="Pip es", slug="pip-es", language="es", maintainers=[alice])
        es.main_language_project_id = pip.id
        factories.ProjectFactory(name="Parent", slug="parent", maintainers=[alice])
        factories.ProjectFactory(name="Other", slug="other", maintainers=[carol])
        self.build_id = factories.BuildFactory(project=pip, version=latest).id
        self.headers = {"alice": token_headers(alice), "bob": token_headers(bob),
                        "carol": token_headers(carol), "anonymous": {}}
        db.session.commit()
        b = self.build_id
        self.probes = {
            "project": ("alice", "/api/v3/projects/pip/"),
            "project expanded": ("alice", "/api/v3/projects/pip/?expand=active_versions.last_build.config,"
                                          "permissions"),
            "projects": ("alice", "/api/v3/projects/?limit=100"),
            "projects expanded": ("alice", "/api/v3/projects/?expand=active_versions.last_build"),
            "projects page 2": ("alice", "/api/v3/projects/?limit=1&offset=1"),
            "translation": ("alice", "/api/v3/projects/pip-es/"),
            "versions": ("alice", "/api/v3/projects/pip/versions/"),
            "versions expanded": ("alice", "/api/v3/projects/pip/versions/?expand=last_build.config"),
            "version": ("alice", "/api/v3/projects/pip/versions/latest/?expand=last_build"),
            "private version": ("alice", "/api/v3/projects/pip/versions/secret/"),
            "builds": ("alice", "/api/v3/projects/pip/builds/"),
            "build": ("alice", f"/api/v3/projects/pip/builds/{b}/?expand=config"),
            "version builds": ("alice", "/api/v3/projects/pip/versions/latest/builds/"),
            "version build": ("alice", f"/api/v3/projects/pip/versions/latest/builds/{b}/"),
            "bob's project": ("bob", "/api/v3/projects/pip/?expand=permissions"),
            "bob's versions": ("bob", "/api/v3/projects/pip/versions/"),
            "anonymous versions": ("anonymous", "/api/v3/projects/pip/versions/"),
        }

    def get(self, who: str, url: str, **headers: str) -> Any:
        db.session.expunge_all()
        return self.client.get(url, headers={**self.headers[who], **headers})

    def look(self) -> dict[str, Seen]:
        seen = {}
        for name, (who, url) in self.probes.items():
            response = self.get(who, url)
            assert response.status_code == 200, (name, response.json)
            seen[name] = Seen(response.data, response.headers["ETag"])
        return seen

    def change(self, label: str, write: Callable[[], Any], must_change: set[str],
               spurious: frozenset[str] = frozenset()) -> None:
        """Apply ``write``; every probe's ETag moves iff its body did; ``must_change`` bodies did.

        ``spurious``: probes whose ETag may move although their body did not, each with its reason
        where it is passed (a column read that this body happens not to show: one extra 200, never a
        stale 304).
        """
        before = self.look()
        db.session.expunge_all()
        write()
        db.session.expunge_all()
        after = self.look()
        changed = {name for name in self.probes if before[name].body != after[name].body}
        moved = {name for name in self.probes if before[name].etag != after[name].etag}
        assert changed <= moved, f"{label}: body changed under the same ETag {changed - moved}"
        assert moved - changed <= spurious, f"{label}: ETag moved without its body {moved - changed}"
        assert changed >= must_change, f"{label}: {must_change - changed} did not change (test is void)"
        if not must_change:
            assert not changed, f"{label} changed {changed}"
        for name, (who, url) in self.probes.items():
            answer = self.get(who, url, **{"If-None-Match": before[name].etag})
            if name in moved:
                assert answer.status_code == 200 and answer.data == after[name].body, (label, name)
                assert answer.headers["ETag"] == after[name].etag, (label, name)
            else:
                assert answer.status_code == 304, (label, name)

    def api(self, method: str, url: str, who: str = "alice", **kwargs: Any) -> Callable[[], None]:
        def write() -> None:
            response = self.client.open(url, method=method, headers=self.headers[who], **kwargs)
            assert response.status_code < 300, (url, response.json)
        return write


def _project(slug: str) -> Project:
    return db.session.scalars(select(Project).where(Project.slug == slug)).one()


def _user(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def _newest_build() -> Build:
    return db.session.scalars(select(Build).order_by(Build.id.desc())).first()  # type: ignore[return-value]


def _set(model: Any, key: Any, **values: Any) -> Callable[[], None]:
    def write() -> None:
        row = db.session.get(model, key)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()
    return write


@pytest.fixture
def world(client: Any, user: Any) -> World:
    return World(client, user)


PIP = "/api/v3/projects/pip/"
PROJECT_VIEWS = {"project", "project expanded", "projects", "projects expanded", "bob's project"}


def test_project_fields(world):
    world.change("renamed", world.api("PATCH", PIP, json={"name": "Pip!"}), PROJECT_VIEWS)
    world.change("tags", world.api("PATCH", PIP, json={"tags": ["python"]}), PROJECT_VIEWS)
    world.change("homepage", world.api("PATCH", PIP, json={"homepage": "https://pip.example.com"}),
                 PROJECT_VIEWS)
    world.change("repository",
                 world.api("PATCH", PIP, json={"repository": {"url": "https://example.com/p.git"}}),
                 PROJECT_VIEWS | {"versions", "version", "private version"})  # their VCS URLs
    world.change("credentials", world.api("PATCH", PIP, json={"repository": {"credentials": {"token": "t"}}}),
                 PROJECT_VIEWS)
    world.change("versioning scheme", world.api(
        "PATCH", PIP, json={"versioning_scheme": "multiple_versions_without_translations"}),
        PROJECT_VIEWS | {"versions", "version", "translation"})  # docs URLs, the translation's too
    # A version shows its project's language in its download URLs and, under a scheme with
    # translations, in its docs URL: this one has neither, but its validator reads the column anyway.
    world.change("language", world.api("PATCH", PIP, json={"language": "de"}), PROJECT_VIEWS | {"versions"},
                 spurious=frozenset({"private version"}))
    world.change("default version", world.api("PATCH", PIP, json={"default_version": "2.0"}), PROJECT_VIEWS)


def test_a_build_from_trigger_to_finish(world):
    live = {"builds", "version builds", "versions expanded", "version", "project expanded",
            "projects expanded"}
    world.change("triggered", world.api("POST", PIP + "versions/latest/builds/"), live)
    build_id = _newest_build().id
    world.change("claimed", lambda: build_control.claim_build(build_id), live)
    world.change("building", _set(Build, build_id, state="building"), live)
    world.change("warning", _set(Build, build_id, warnings=["pdf: skipped"]), live)
    world.change("finished", lambda: build_control.finish_build(
        db.session.get(Build, build_id), success=True, formats=["htmlzip", "pdf", "epub"]),
        live | {"versions"})  # the version's downloads
    world.change("old build's config", _set(Build, world.build_id, config={"version": 2}), {"build"})


def test_versions_activated_built_hidden_and_made_public(world):
    world.change("activated", world.api("PATCH", PIP + "versions/2.0/", json={"active": True}),
                 {"versions", "builds", "bob's versions", "anonymous versions"})
    build_id = _newest_build().id
    world.change("built", lambda: build_control.finish_build(db.session.get(Build, build_id), success=True,
                                                            formats=[]),
                 {"versions", "project expanded", "projects expanded", "builds"})
    world.change("hidden", world.api("PATCH", PIP + "versions/latest/", json={"hidden": True}),
                 {"versions", "version", "project expanded"})
    world.change("made public",
                 world.api("PATCH", PIP + "versions/secret/", json={"privacy_level": "public"}),
                 {"versions", "private version", "bob's versions", "anonymous versions"})
    world.change("deactivated", world.api("PATCH", PIP + "versions/secret/", json={"active": False}),
                 {"versions", "bob's versions"})


def test_maintainers_and_the_callers_permissions(world):
    pip_id = _project("pip").id

    def invite_and_accept() -> None:
        invitation = invitations.invite(db.session.get(Project, pip_id), _user("alice"), "bob")
        invitations.accept(invitation, _user("bob"))

    world.change("maintainer added", invite_and_accept, PROJECT_VIEWS)
    world.change("maintainer removed", world.api("DELETE", PIP + "maintainers/bob/"), PROJECT_VIEWS)
    world.change("bob gets a read grant", world.api("POST", PIP + "grants/", json={"username": "bob"}),
                 {"bob's versions"})  # the private version; his project view shows no more
    world.change("bob becomes an administrator", _set(User, _user("bob").id, role="admin"),
                 {"bob's project"})  # permissions.admin; his versions were already all visible


def test_subprojects_and_translations(world):
    world.change("pip becomes a subproject", world.api("POST", "/api/v3/projects/parent/subprojects/",
                                                       json={"child": "pip", "alias": "pip"}),
                 PROJECT_VIEWS | {"versions", "version", "translation"})  # the translation lives under it
    world.change("subproject unlinked", world.api("DELETE", "/api/v3/projects/parent/subprojects/pip/"),
                 PROJECT_VIEWS | {"versions", "translation"})
    world.change("translation unlinked", lambda: translations.unset_translation(
        _project("pip"), _project("pip-es")), {"translation", "projects", "projects page 2"})
    world.change("translation linked", lambda: translations.set_translation(
        _project("pip"), _project("pip-es")), {"translation", "projects", "projects page 2"})


def test_writes_no_representation_shows_leave_every_etag_alone(world):
    pip_id, build_id = _project("pip").id, world.build_id
    nothing: set[str] = set()
    world.change("environment variable", world.api(
        "POST", PIP + "environmentvariables/", json={"name": "SECRET", "value": "x"}), nothing)
    world.change("redirect", lambda: factories.RedirectFactory(project=db.session.get(Project, pip_id)),
                 nothing)
    world.change("token", lambda: create_token(_user("alice"), "another"), nothing)
    world.change("log output", lambda: (db.session.add(BuildCommand(build_id=build_id, command="echo",
                                                                    output="hi")), db.session.commit()),
                 nothing)
    world.change("carol's grant", world.api("POST", PIP + "grants/", json={"username": "carol"}), nothing)
    world.change("bob's email", _set(User, _user("bob").id, email="bob@elsewhere.example"), nothing)
    world.change("carol's project", world.api("PATCH", "/api/v3/projects/other/", who="carol",
                                              json={"name": "Other!"}), nothing)
    world.change("a row lock", lambda: (lock_rows(Project, [pip_id]), db.session.commit()), nothing)
    world.change("an unshown version column", _set(Version, _version_id("2.0"), machine=True), nothing)
    world.change("an unshown build column", _set(Build, build_id, job_id="build-x", cancel_requested=True),
                 nothing)


def _version_id(slug: str) -> int:
    return db.session.scalars(select(Version.id).where(Version.slug == slug)).one()


def test_the_superproject_view_follows_its_link(world, client):
    world.api("POST", "/api/v3/projects/parent/subprojects/", json={"child": "pip"})()
    world.probes = {"superproject": ("alice", PIP + "superproject/"),
                    "superproject expanded": ("bob",
                                              PIP + "superproject/?expand=active_versions,permissions")}
    world.change("parent renamed", world.api("PATCH", "/api/v3/projects/parent/", json={"name": "P!"}),
                 {"superproject", "superproject expanded"})
    world.change("child renamed", world.api("PATCH", PIP, json={"name": "Pip!"}), set())
    parent = _project("parent")
    world.change("parent version built", _set(Version, parent.versions[0].id, built=True),
                 {"superproject expanded"})
