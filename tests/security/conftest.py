"""Fixtures for the accounts-and-protection tests: users by role, scoped tokens, limits switched on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from app.models import User
from app.services.tokens import create_token
from tests import factories


@pytest.fixture
def make_user() -> Callable[..., User]:
    def _make(role: str = "user", username: str | None = None) -> User:
        kwargs: dict[str, Any] = {"role": role}
        if username:
            kwargs["username"] = username
        return factories.UserFactory(**kwargs)

    return _make


@pytest.fixture
def auth_for() -> Callable[..., dict[str, str]]:
    """Headers with a new token for ``user``; ``scopes``/``projects``/``expires`` narrow it."""

    def _headers(
        user: User,
        scopes: list[str] | None = None,
        project_ids: list[int] | None = None,
        expires: datetime | None = None,
    ) -> dict[str, str]:
        _token, key = create_token(user, "test", scopes=scopes, project_ids=project_ids, expires=expires)
        return {"Authorization": f"Token {key}"}

    return _headers


@pytest.fixture
def limits_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Switch the rate limits on (the test app has them off) with small, explicit values."""
    monkeypatch.setitem(app.config, "RATE_LIMITS_ENABLED", True)

    def _set(**limits: str) -> None:
        for name, value in limits.items():
            monkeypatch.setitem(app.config, name, value)

    return _set


@pytest.fixture
def strict_urls(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Production's repository URL rules (the test app allows local repositories)."""
    monkeypatch.setitem(app.config, "ALLOW_LOCAL_REPOSITORIES", False)
