"""The policy's Python and SQL forms agree, and say what the rules say, for every kind of principal.

A detail view asks ``can_read(principal, project)``; a list filters with ``readable_filter(principal)``
before paging. Both are evaluated here against real rows for a grid of principals and projects.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app import policy
from app.extensions import db
from app.models import Project, ProjectReadGrant
from app.policy import Principal
from app.services.tokens import BUILD_SCOPES, create_token
from tests import factories

FORMS = [
    (policy.can_read, policy.readable_filter),
    (policy.can_write, policy.writable_filter),
    (policy.has_private_access, policy.private_access_filter),
]


@pytest.fixture
def world(user: Any) -> dict[str, Any]:
    """alice maintains ``mine`` (public) and ``secret`` (private); ``shared`` is private and granted to
    her; ``theirs`` (private) and ``open`` (public) belong to someone else."""
    other = factories.UserFactory(username="other")
    projects = {
        "mine": factories.ProjectFactory(name="Mine", maintainers=[user]),
        "secret": factories.ProjectFactory(name="Secret", privacy_level="private", maintainers=[user]),
        "shared": factories.ProjectFactory(name="Shared", privacy_level="private", maintainers=[other]),
        "theirs": factories.ProjectFactory(name="Theirs", privacy_level="private", maintainers=[other]),
        "open": factories.ProjectFactory(name="Open", maintainers=[other]),
    }
    db.session.add(ProjectReadGrant(project_id=projects["shared"].id, user_id=user.id))
    db.session.commit()
    ids = {name: p.id for name, p in projects.items()}
    restricted, _key = create_token(user, "narrow", project_ids=[ids["mine"], ids["shared"]])
    admin = factories.UserFactory(username="root", role="admin")
    admin_restricted, _key = create_token(admin, "narrow", project_ids=[ids["theirs"]])
    viewer = factories.UserFactory(username="viewer", role="viewer")
    projects["theirs"].users.append(viewer)  # a viewer may even be listed as maintainer: still no writes
    db.session.add(ProjectReadGrant(project_id=ids["secret"], user_id=viewer.id))
    db.session.commit()
    version = factories.VersionFactory(project=projects["secret"])
    build = factories.BuildFactory(version=version, state="building")
    bot, _key = create_token(
        None, "build", scopes=list(BUILD_SCOPES), project_ids=[ids["secret"]], build_id=build.id,
        audited=False,
    )
    principals = {
        "anonymous": None,
        "session": Principal.for_user(user),
        "restricted": Principal.for_token(restricted, user),
        "admin": Principal.for_user(admin),
        "admin_restricted": Principal.for_token(admin_restricted, admin),
        "viewer": Principal.for_user(viewer),
        "bot": Principal.for_token(bot, None),
    }
    return {"projects": projects, "principals": principals}


def _allowed(check: Any, principal: Principal | None, projects: dict[str, Project]) -> set[str]:
    return {name for name, project in projects.items() if check(principal, project)}


def _selected(sql: Any, principal: Principal | None, projects: dict[str, Project]) -> set[str]:
    names = {p.id: name for name, p in projects.items()}
    return {names[i] for i in db.session.scalars(select(Project.id).where(sql(principal)))}


@pytest.mark.parametrize("forms", FORMS, ids=["read", "write", "private_access"])
def test_python_and_sql_forms_agree_for_every_principal(world, forms):
    check, sql = forms
    for name, principal in world["principals"].items():
        python = _allowed(check, principal, world["projects"])
        assert python == _selected(sql, principal, world["projects"]), name


def test_what_each_principal_reads_and_writes(world):
    projects, principals = world["projects"], world["principals"]
    public = {"mine", "open"}
    expected_reads = {
        "anonymous": public,
        "session": public | {"secret", "shared"},
        "restricted": public | {"shared"},  # secret is hers, but outside the token's restriction
        "admin": set(projects),
        "admin_restricted": public | {"theirs"},
        "viewer": public | {"secret", "theirs"},  # a read grant; listed as a maintainer
        "bot": public | {"secret"},  # its own build's project, private or not
    }
    expected_writes = {
        "anonymous": set(),
        "session": {"mine", "secret"},
        "restricted": {"mine"},  # a read grant never writes
        "admin": set(projects),
        "admin_restricted": {"theirs"},
        "viewer": set(),  # listed as a maintainer of theirs, yet a viewer never writes
        "bot": set(),  # a bot is no person
    }
    for name, principal in principals.items():
        assert _allowed(policy.can_read, principal, projects) == expected_reads[name], name
        assert _allowed(policy.can_write, principal, projects) == expected_writes[name], name


def test_a_bot_without_a_project_reaches_nothing_private(world):
    build = factories.BuildFactory(version=factories.VersionFactory(project=world["projects"]["open"]))
    token, _key = create_token(None, "stray", scopes=list(BUILD_SCOPES), build_id=build.id, audited=False)
    stray = Principal.for_token(token, None)
    assert _allowed(policy.can_read, stray, world["projects"]) == {"mine", "open"}
    assert _selected(policy.readable_filter, stray, world["projects"]) == {"mine", "open"}


class _Recording:
    """Stands for a principal (or its user) and records every attribute the rules read of it."""

    def __init__(self, target: Any, prefix: str, seen: set[str]) -> None:
        self._target, self._prefix, self._seen = target, prefix, seen

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        self._seen.add(self._prefix + name)
        if name in ("person", "user") and value is not None:
            return _Recording(value, f"{name}.", self._seen)
        return value


def test_the_rules_read_only_the_inputs_their_sql_is_cached_by(world):
    """Rule SQL is built once per distinct principal (app/policy/rules.py, RULE_INPUTS): a rule reading
    anything else of a principal would be served another principal's SQL."""
    from app.policy import rules

    for principal in world["principals"].values():
        if principal is None:
            continue
        for rule in (rules.read_rule, rules.private_access_rule, rules.write_rule, rules.reach):
            seen: set[str] = set()
            rule(_Recording(principal, "", seen)).sql()  # type: ignore[arg-type]
            assert seen - {"person"} <= set(rules.RULE_INPUTS), (rule.__name__, seen)


def test_equal_rule_inputs_share_sql_and_different_ones_do_not(world):
    principals = world["principals"]
    assert policy.readable_filter(principals["session"]) is policy.readable_filter(principals["session"])
    distinct = {id(policy.readable_filter(p)) for p in principals.values()}
    assert len(distinct) == len(principals)
