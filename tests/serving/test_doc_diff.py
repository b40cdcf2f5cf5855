"""``doc_diff`` on a pull request's preview: the addons' answer (Read the Docs' ``{enabled, base_url,
inject_styles}``) and the preview host's ``/_/doc-diff/``, which hands the script the base version's page.

The attack tests: a preview runs anyone's scripts on its host, so that endpoint gives out a *public*
base page only, never a private project's or version's, whoever is signed in; and it answers on
preview hosts only.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from tests.api.test_pull_requests import project, repo, version
from tests.serving.doc_diff_site import KEPT, NEW, OLD, build_pr

__all__ = ["project", "repo"]

PREVIEW = "http://pip--7.previews.test"
JSON = {"Accept": "application/json"}


@pytest.fixture
def built(app: Any, client: Any, project: Any, repo: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", "previews.test")
    return build_pr(client, project, repo)


def addons(client: Any, url: str, headers: dict[str, str] | None = None) -> Any:
    return client.get("/_/addons/", query_string={"url": url, "api-version": "1"}, base_url=PREVIEW,
                      headers={**JSON, **(headers or {})})


def test_a_preview_page_has_doc_diff_against_the_same_page_of_the_base_version(client, built):
    answer = addons(client, f"{PREVIEW}/index.html")
    assert answer.status_code == 200, answer.json
    data = answer.json
    assert data["addons"]["doc_diff"] == {
        "enabled": True, "inject_styles": True,
        "base_url": "http://docs.localhost/docs/pip/en/latest/index.html"}
    assert data["addons"]["hotkeys"]["doc_diff"] == {"enabled": True, "trigger": "KeyD"}
    assert data["readthedocs"]["resolver"]["filename"] == "/index.html"
    assert data["versions"]["current"]["slug"] == "7"
    assert data["versions"]["current"]["urls"]["documentation"] == f"{PREVIEW}/"  # the preview's own host
    root = addons(client, f"{PREVIEW}/").json["addons"]["doc_diff"]
    assert root["base_url"] == "http://docs.localhost/docs/pip/en/latest/"
    # a published version's page has nothing to compare with
    published = client.get("/_/addons/?project-slug=pip&version-slug=latest", headers=JSON)
    assert published.json["addons"]["doc_diff"]["enabled"] is False
    assert published.json["addons"]["hotkeys"]["doc_diff"]["enabled"] is False


def test_the_preview_host_hands_out_the_base_page_main_content(client, built):
    for filename in ("index.html", "/index.html", "", "/"):
        answer = client.get("/_/doc-diff/", query_string={"filename": filename}, base_url=PREVIEW)
        assert answer.status_code == 200, (filename, answer.json)
        content = answer.json["content"]
        assert OLD in content and KEPT in content and NEW not in content  # the base's, not the PR's
        assert 'role="main"' in content and "<html" not in content  # the main content only
        assert answer.json["base_url"].startswith("http://docs.localhost/docs/pip/en/latest/")
        assert answer.headers["X-Robots-Tag"] == "noindex, nofollow"
    missing = client.get("/_/doc-diff/?filename=nope.html", base_url=PREVIEW)
    assert missing.status_code == 404 and missing.json["code"] == "not_found"
    for bad in ("../../etc/passwd", "a/../../x.html", "x\\..\\y"):
        refused = client.get("/_/doc-diff/", query_string={"filename": bad}, base_url=PREVIEW)
        assert refused.status_code == 400 and refused.json["errors"]["filename"], bad
    assert client.get("/_/doc-diff/?filename=objects.inv", base_url=PREVIEW).status_code == 404  # pages only


def test_only_preview_hosts_answer(client, built):
    on_docs = client.get("/_/doc-diff/?filename=index.html", base_url="http://docs.localhost")
    assert on_docs.status_code == 404 and OLD not in on_docs.get_data(as_text=True)
    other = client.get("/_/doc-diff/?filename=index.html", base_url="http://pip--8.previews.test")
    assert other.status_code == 404
    unknown = client.get("/_/doc-diff/?filename=index.html", base_url="http://nope--7.previews.test")
    assert unknown.status_code == 404


def test_a_private_base_version_is_never_handed_to_a_preview(client, built, headers):
    base = version("latest")
    assert base is not None
    base.privacy_level = "private"
    db.session.commit()
    for who in ({}, headers):  # not even to its maintainer: the preview's scripts would read it too
        answer = client.get("/_/doc-diff/?filename=index.html", base_url=PREVIEW, headers=who)
        assert answer.status_code == 404, who
        assert OLD not in answer.get_data(as_text=True)
    assert addons(client, f"{PREVIEW}/index.html").json["addons"]["doc_diff"]["enabled"] is False


def test_a_private_project_is_never_compared(client, built, project, headers):
    project.privacy_level = "private"
    db.session.commit()
    answer = client.get("/_/doc-diff/?filename=index.html", base_url=PREVIEW, headers=headers)
    assert answer.status_code == 404 and OLD not in answer.get_data(as_text=True)
    diff = addons(client, f"{PREVIEW}/index.html", headers=headers).json["addons"]["doc_diff"]
    assert diff["enabled"] is False and diff["inject_styles"] is False


def test_a_private_preview_needs_its_reader(client, built, headers):
    preview = version("7")
    assert preview is not None
    preview.privacy_level = "private"
    db.session.commit()
    anonymous = client.get("/_/doc-diff/?filename=index.html", base_url=PREVIEW, headers=JSON)
    assert anonymous.status_code == 401 and OLD not in anonymous.get_data(as_text=True)
    maintainer = client.get("/_/doc-diff/?filename=index.html", base_url=PREVIEW, headers=headers)
    assert maintainer.status_code == 200 and OLD in maintainer.json["content"]
    assert "private" in maintainer.headers["Cache-Control"]
