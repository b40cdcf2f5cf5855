"""Every API route declares its policy on its view (``ApiView``), and the pipeline enforces it.

The first test walks the app's real url_map: a view added without a declaration, or a method left
out of one, fails here (and, for a subclass of ApiView, already when its module is imported).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.api.views import ApiView, view_class
from app.pipeline import API_PREFIX
from app.policy.scopes import SCOPES
from app.security.route import ViewPolicy
from tests import factories
from tests.api.helpers import assert_error

_AUTOMATIC = {"HEAD", "OPTIONS"}


def test_every_api_rule_is_served_by_a_view_that_declares_its_policy(app: Flask) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX):
            continue
        cls = view_class(app.view_functions[rule.endpoint])
        assert cls is not None, f"{rule.rule} ({rule.endpoint}) is not served by an ApiView"
        for method in sorted(set(rule.methods or ()) - _AUTOMATIC):
            policy = cls.policy_for(method)
            assert isinstance(policy, ViewPolicy), f"{cls.__name__} declares nothing for {method}"
            assert policy.scope is None or policy.scope in SCOPES, (cls.__name__, method, policy.scope)
            assert method.lower() in cls.scopes, (cls.__name__, method)
            checked += 1
    assert checked >= 60  # the whole API, not a handful of routes


def test_the_pipeline_binds_the_declared_policy_of_the_view_it_runs(app: Flask) -> None:
    from app.security import route

    def bound(method: str, path: str, **kwargs: Any) -> tuple[str | None, ViewPolicy | None]:
        with app.test_client() as client:  # keeps the request's context for a look after it
            client.open(path, method=method, **kwargs)
            return route.origin(), route.policy()

    origin, policy = bound("GET", "/api/v3/")
    assert origin == route.API and policy is not None and policy.anonymous and policy.scope is None
    origin, policy = bound("POST", "/api/v3/projects/", json={})
    assert origin == route.API and policy is not None and policy.scope == "projects:write"
    assert not policy.anonymous
    assert bound("GET", "/api/v3/no-such-thing/") == (route.API, None)
    assert bound("GET", "/login") == (route.WEB, None)


def test_a_view_without_scopes_fails_when_defined() -> None:
    with pytest.raises(TypeError, match="must declare `scopes`"):

        class Forgetful(ApiView):
            def get(self) -> str:
                return ""


def test_a_declaration_must_name_exactly_the_views_methods() -> None:
    with pytest.raises(TypeError, match="must name exactly its methods"):

        class Partial(ApiView):
            scopes = {"get": "projects:read"}

            def get(self) -> str:
                return ""

            def post(self) -> str:
                return ""

    with pytest.raises(TypeError, match="unknown scope"):

        class Misspelt(ApiView):
            scopes = {"get": "project:read"}

            def get(self) -> str:
                return ""

    with pytest.raises(TypeError, match="names methods it lacks"):

        class OpenToNothing(ApiView):
            scopes = {"get": None}
            anonymous = ("post",)

            def get(self) -> str:
                return ""


def test_head_follows_get_and_a_missing_method_is_judged_like_the_views_writes() -> None:
    class Public(ApiView):
        scopes = {"get": "builds:read", "post": None}
        anonymous = ("get", "post")

        def get(self) -> str:
            return ""

        def post(self) -> str:
            return ""

    assert Public.policy_for("HEAD") == Public.policy_for("GET")
    assert Public.policy_for("OPTIONS") is not None and Public.policy_for("OPTIONS").anonymous  # type: ignore[union-attr]
    assert Public.missing_method_policy("DELETE").anonymous  # its writes are open: so is the 405
    assert Public.policy_for("DELETE") is None


def test_a_non_anonymous_read_asks_for_credentials_before_parsing_its_arguments(client: Any) -> None:
    """Read the Docs' order: who is calling comes before what they sent."""
    assert_error(client.get("/api/v3/invitations/?state=nonsense"), 401, "auth_required")


def test_undeclared_expand_paths_are_ignored_and_declared_ones_reach_nested_objects(
    client: Any, user: Any, headers: dict[str, str]
) -> None:
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    factories.BuildFactory(project=project, version=project.versions[0], config={"version": 2})
    plain = client.get("/api/v3/projects/pip/", headers=headers).json
    unknown = client.get("/api/v3/projects/pip/?expand=nothing,active_versions.nothing", headers=headers).json
    assert "nothing" not in unknown and "active_versions" in unknown
    assert {k: v for k, v in unknown.items() if k != "active_versions"} == plain
    body = client.get("/api/v3/projects/pip/versions/latest/?expand=last_build.config", headers=headers).json
    assert "last_build" in body
