"""Item bodies reused by content (app/schemas/item_memo.py): the same rows and URL bases give the same
item, anything else builds a new one, and no response can change an item another one shares."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _uncached(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "RESPONSE_CACHE_ENABLED", False)  # every read computed


def test_links_follow_the_host_each_request_came_to(app, client, project, headers, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)  # the bases come from each request's host
    url = f"/api/v3/projects/{project.slug}/"
    first = client.get(url, headers=headers, base_url="http://a.example").json
    second = client.get(url, headers=headers, base_url="http://b.example").json
    assert first["_links"]["_self"] == f"http://a.example/api/v3/projects/{project.slug}/"
    assert second["_links"]["_self"] == f"http://b.example/api/v3/projects/{project.slug}/"
    assert client.get(url, headers=headers, base_url="http://a.example").json == first


def test_a_changed_row_is_a_new_item_at_once(client, project, headers) -> None:
    url = f"/api/v3/projects/{project.slug}/"
    before = client.get(url, headers=headers).json
    assert client.patch(url, json={"homepage": "https://example.org/new"}, headers=headers).status_code == 204
    after = client.get(url, headers=headers).json
    assert before["homepage"] != after["homepage"] == "https://example.org/new"
    listed = client.get("/api/v3/projects/", headers=headers).json["results"]
    assert [p["homepage"] for p in listed if p["slug"] == project.slug] == ["https://example.org/new"]


def test_fields_and_omit_never_change_the_shared_item(client, project, headers) -> None:
    url = f"/api/v3/projects/{project.slug}/"
    whole = client.get(url, headers=headers).json
    assert set(client.get(url + "?fields=name,urls.home", headers=headers).json) == {"name", "urls"}
    assert "urls" not in client.get(url + "?omit=urls", headers=headers).json
    listed = client.get("/api/v3/projects/?fields=slug", headers=headers).json["results"]
    assert all(set(item) == {"slug"} for item in listed)
    assert client.get(url, headers=headers).json == whole
