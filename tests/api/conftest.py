"""Fixtures the resource tests share: the test user's project "pip" and another user's credentials."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories


@pytest.fixture
def project(user: Any) -> Any:
    """``pip``, maintained by the test user (modules needing another shape define their own)."""
    return factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])


@pytest.fixture
def other_headers() -> dict[str, str]:
    """A valid token of a user who maintains nothing."""
    return {"Authorization": f"Token {factories.make_token(factories.UserFactory(username='mallory'))}"}
