"""Assertions shared by the API tests."""

from __future__ import annotations

from typing import Any

CONTRACT_KEYS = {"type", "title", "status", "detail", "code", "category", "retryable", "errors", "request_id"}


def assert_error(response: Any, status: int, code: str, category: str | None = None) -> dict[str, Any]:
    """The response is a non-2xx in the one error contract, with this status and machine code."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert set(body) >= CONTRACT_KEYS
    assert body["status"] == status and body["code"] == code
    assert body["detail"] and body["request_id"] == response.headers["X-Request-ID"]
    if category:
        assert body["category"] == category
    return body  # type: ignore[no-any-return]


def token_headers(user: Any) -> dict[str, str]:
    from tests.factories import make_token

    return {"Authorization": f"Token {make_token(user)}"}
