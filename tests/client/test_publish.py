"""``docshelf publish`` end to end against a live server: only changed files are sent (counted on the
server), an interrupted upload resumes with what is still missing, a 429's Retry-After is waited out,
and symbolic links are never published."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import request, request_finished

from app.models import Build
from tests import factories
from tests.uploads import make_site, manifest


class PutCounter:
    """The file PUTs the server answered, by status (Flask's request_finished, in the server thread)."""

    def __init__(self) -> None:
        self.statuses: list[int] = []

    def __call__(self, _sender: Any, response: Any, **_extra: Any) -> None:
        if request.method == "PUT" and "/files/" in request.path:
            self.statuses.append(response.status_code)

    @property
    def stored(self) -> int:
        return self.statuses.count(200)


def _docs(app: Any, client: Any, path: str) -> Any:
    """A page on the docs origin the live server set up for itself (tests/browser.py)."""
    return client.get(f"/docs/pip/en/latest/{path}", base_url=app.config["DOCS_URL"])


def _publish(cli: Any, site: Path) -> dict[str, Any]:
    result = cli("publish", str(site), "--project", "pip", "--version", "latest", "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_publish_sends_only_what_changed(app, cli, client, user, tmp_path: Path) -> None:
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    site = make_site(tmp_path / "site", 300)
    counter = PutCounter()
    with request_finished.connected_to(counter, app):
        first = _publish(cli, site)
        assert first["files"] == 300 and first["sent"] == 300 and counter.stored == 300
        for name in ("guide/page-1.html", "guide/page-2.html", "_static/style-19.css"):
            (site / name).write_text((site / name).read_text() + "<!-- changed -->")
        counter.statuses.clear()
        second = _publish(cli, site)
    assert second["sent"] == 3 and second["unchanged"] == 297 and counter.stored == 3
    assert [b.kind for b in Build.query.order_by(Build.id)] == ["upload", "upload"]
    assert b"<!-- changed -->" in _docs(app, client, "guide/page-1.html").data


def test_an_interrupted_publish_resumes_with_what_is_missing(app, cli, client, user, token,
                                                               tmp_path: Path) -> None:
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    site = make_site(tmp_path / "site", 40)
    headers = {"Authorization": f"Token {token}"}
    # What a run stopped half-way leaves behind: a session and the first 25 of its files sent.
    started = client.post("/api/v3/projects/pip/versions/latest/uploads/", json={"files": manifest(site)},
                          headers=headers).json
    for item in started["missing"][:25]:
        sent = client.put(item["upload_url"], data=(site / item["paths"][0]).read_bytes(), headers=headers,
                          content_type="application/octet-stream")
        assert sent.status_code == 200
    counter = PutCounter()
    with request_finished.connected_to(counter, app):
        again = _publish(cli, site)
    assert again["sent"] == 15 and counter.stored == 15
    assert _docs(app, client, "guide/page-7.html").status_code == 200


def test_publish_waits_out_the_rate_limit_and_leaves_links_out(app, cli, client, user, tmp_path: Path,
                                                                monkeypatch) -> None:
    monkeypatch.setitem(app.config, "RATE_LIMITS_ENABLED", True)
    monkeypatch.setitem(app.config, "RATE_LIMIT_USER", "6/second")
    monkeypatch.setitem(app.config, "RATE_LIMIT_UPLOAD_FILES", "6/second")
    factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    site = make_site(tmp_path / "site", 16)
    outside = tmp_path / "outside.txt"
    outside.write_text("a file outside the site")
    os.symlink(outside, site / "leak.txt")
    os.symlink(tmp_path, site / "escape")
    counter = PutCounter()
    with request_finished.connected_to(counter, app):
        report = _publish(cli, site)
    assert report["sent"] == 16 and counter.stored == 16
    assert 429 in counter.statuses  # refused at first, sent after Retry-After
    assert sorted(report["left_out"]) == ["escape", "leak.txt"]
    assert _docs(app, client, "leak.txt").status_code == 404
