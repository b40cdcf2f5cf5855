"""Statements built once (app/services/statement_cache.py): reused only for the same inputs, and a
key naming an object by its id never serves what was built from another object with that id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import Project
from app.policy import Principal
from app.services import projects as project_service
from app.services.statement_cache import built_once


def test_the_same_key_and_held_objects_give_the_same_statement() -> None:
    source = select(Project.id)
    built: list[Any] = []

    def build() -> Any:
        built.append(source.where(Project.id > len(built)))
        return built[-1]

    first = built_once(("test-page", id(source)), (source,), build)
    assert built_once(("test-page", id(source)), (source,), build) is first and len(built) == 1


def test_a_key_whose_held_object_changed_is_built_again() -> None:
    """Another object with the same id (the first one was freed) must not get the first's statement."""
    one, other = select(Project.id), select(Project.slug)
    first = built_once(("test-held", 1), (one,), lambda: one.limit(1))
    again = built_once(("test-held", 1), (other,), lambda: other.limit(1))
    assert again is not first and "slug" in str(again)


def test_listed_for_shares_statements_only_between_equal_readers_and_filters(app, user) -> None:
    from tests import factories

    admin = factories.UserFactory(role="admin")
    mine, admins = Principal.for_user(user), Principal.for_user(admin)
    plain = project_service.listed_for(mine, {})
    assert project_service.listed_for(Principal.for_user(user), {}) is plain  # another request, same reader
    assert project_service.listed_for(mine, {"name": "a"}) is not plain
    named_a, named_b = (project_service.listed_for(mine, {"name": n}) for n in "ab")
    assert named_a is not named_b
    assert project_service.listed_for(admins, {}) is not plain
