"""/api/v3/projects/<p>/domains/: representation, permissions, the naming rules, one canonical."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import AuditEvent, Domain, ProjectRelationship
from app.services.tokens import create_token
from tests import factories
from tests.api.helpers import assert_error
from tests.golden import assert_golden

LIST = "/api/v3/projects/pip/domains/"


def detail(name: str, slug: str = "pip") -> str:
    return f"/api/v3/projects/{slug}/domains/{name}/"


def add(client: Any, headers: dict[str, str], name: str, slug: str = "pip", **extra: Any) -> Any:
    return client.post(f"/api/v3/projects/{slug}/domains/", json={"domain": name, **extra}, headers=headers)


# --- success paths -------------------------------------------------------------------------------------


def test_create_answers_201_in_the_golden_shape_with_sorted_keys(client, project, headers):
    response = add(client, headers, "Docs.Pip.Example.", canonical=True, unknown="ignored")
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == response.json["_links"]["_self"]
    assert_golden("domain", response.json)
    keys = list(json.loads(response.get_data(as_text=True)))
    assert keys == sorted(keys)


def test_list_and_detail_are_readable_anonymously_for_a_public_project(client, project, headers):
    add(client, headers, "docs.pip.example")
    add(client, headers, "old.pip.example", https=False)
    listed = client.get(LIST)
    assert listed.status_code == 200
    assert listed.json["count"] == 2
    assert [d["domain"] for d in listed.json["results"]] == ["docs.pip.example", "old.pip.example"]
    shown = client.get(detail("OLD.pip.example"))  # the key is compared lowercase, as stored
    assert shown.status_code == 200
    assert (shown.json["domain"], shown.json["https"], shown.json["canonical"]) == (
        "old.pip.example", False, False)


def test_a_pasted_url_keeps_its_host_and_idna_names_are_stored_encoded(client, project, headers):
    assert add(client, headers, "https://docs.pip.example/").json["domain"] == "docs.pip.example"
    created = add(client, headers, "bücher.pip.example").json
    assert created["domain"] == "xn--bcher-kva.pip.example"
    assert client.get(detail("bücher.pip.example")).status_code == 200


def test_patch_changes_the_flags_and_delete_removes_the_domain(client, project, headers):
    add(client, headers, "docs.pip.example")
    flags = {"canonical": True, "https": False}
    patched = client.patch(detail("docs.pip.example"), json=flags, headers=headers)
    assert patched.status_code == 200, patched.json
    assert (patched.json["canonical"], patched.json["https"]) == (True, False)
    db.session.expire_all()
    documentation = client.get("/api/v3/projects/pip/").json["urls"]["documentation"]
    assert documentation.startswith("http://docs.pip.example/")
    assert client.delete(detail("docs.pip.example"), headers=headers).status_code == 204
    assert_error(client.get(detail("docs.pip.example")), 404, "not_found")
    db.session.expire_all()
    assert "docs.pip.example" not in client.get("/api/v3/projects/pip/").json["urls"]["documentation"]


def test_the_canonical_domain_is_where_the_api_says_the_docs_are(client, project, headers):
    add(client, headers, "docs.pip.example", canonical=True)
    db.session.expire_all()
    body = client.get("/api/v3/projects/pip/").json
    assert body["urls"]["documentation"] == "https://docs.pip.example/en/latest/"
    listed = client.get("/api/v3/projects/", headers=headers).json["results"]  # the rows-built read
    assert listed[0]["urls"]["documentation"] == "https://docs.pip.example/en/latest/"
    version = client.get("/api/v3/projects/pip/versions/latest/").json
    assert version["urls"]["documentation"] == "https://docs.pip.example/en/latest/"


def test_subprojects_and_translations_live_under_the_parents_canonical_domain(client, project, headers, user):
    child = factories.ProjectFactory(name="Child", slug="child", maintainers=[user])
    factories.ProjectFactory(name="Pip FR", slug="pip-fr", language="fr", maintainers=[user],
                                      main_language_project=project)
    db.session.add(ProjectRelationship(parent=project, child=child, alias="kid"))
    db.session.commit()
    add(client, headers, "docs.pip.example", canonical=True)
    db.session.expire_all()
    assert client.get("/api/v3/projects/child/").json["urls"]["documentation"] == (
        "https://docs.pip.example/projects/kid/en/latest/")
    assert client.get("/api/v3/projects/pip-fr/").json["urls"]["documentation"] == (
        "https://docs.pip.example/fr/latest/")
    rows = {p["slug"]: p for p in client.get("/api/v3/projects/", headers=headers).json["results"]}
    assert rows["child"]["urls"]["documentation"] == "https://docs.pip.example/projects/kid/en/latest/"
    assert rows["pip-fr"]["urls"]["documentation"] == "https://docs.pip.example/fr/latest/"


# --- the rules -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "", "docs.pip.example:8443", "docs.pip.example/path", "*.pip.example", "127.0.0.1", "[::1]", "::1",
    "localhostonly", "-bad.example", "bad_.example", "a" * 64 + ".example", "user@docs.example",
])
def test_names_that_are_not_plain_host_names_are_refused(client, project, headers, name):
    body = assert_error(add(client, headers, name), 400, "validation_error", "validation")
    assert body["errors"]["domain"]


@pytest.mark.parametrize("name", [
    "api.localhost",  # under the app origin's host (DOCSHELF_PUBLIC_URL's)
    "docs.localhost",  # the docs origin's (DOCSHELF_DOCS_URL)
    "sub.docs.localhost",
])
def test_docshelfs_own_hosts_are_refused(client, project, headers, name):
    body = assert_error(add(client, headers, name), 400, "validation_error")
    assert "Docshelf's own hosts" in body["errors"]["domain"][0]


def test_the_docs_and_preview_domains_and_their_subdomains_are_refused(app, client, project, headers,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "DOCS_DOMAIN", "docs.example.org")
    monkeypatch.setitem(app.config, "EXTERNAL_DOCS_DOMAIN", "previews.example.org")
    for name in ("docs.example.org", "pip.docs.example.org", "pip--1.previews.example.org",
                 "Previews.Example.Org"):
        assert_error(add(client, headers, name), 400, "validation_error")
    assert add(client, headers, "example.org").status_code == 201  # a parent of them is not theirs


def test_the_app_origin_host_is_refused_even_when_only_the_request_names_it(app, client, project, headers,
                                                                           monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    response = client.post(LIST, json={"domain": "api.docshelf.example"}, headers=headers,
                           base_url="http://api.docshelf.example")
    assert_error(response, 400, "validation_error")


def test_a_domain_belongs_to_one_project(client, project, headers, user):
    factories.ProjectFactory(name="Other", slug="other", maintainers=[user])
    assert add(client, headers, "docs.pip.example").status_code == 201
    for name, slug in (("DOCS.pip.example", "other"), ("docs.pip.example", "pip")):
        body = assert_error(add(client, headers, name, slug), 400, "validation_error")
        assert "already a domain" in body["errors"]["domain"][0]


def test_only_one_domain_is_canonical(client, project, headers):
    add(client, headers, "docs.pip.example", canonical=True)
    add(client, headers, "www.pip.example")
    body = assert_error(add(client, headers, "new.pip.example", canonical=True), 400, "validation_error")
    assert "docs.pip.example" in body["errors"]["canonical"][0]
    assert_error(client.patch(detail("www.pip.example"), json={"canonical": True}, headers=headers), 400,
                 "validation_error")
    # Switching: unset the old one first, as on Read the Docs.
    off, on = {"canonical": False}, {"canonical": True}
    assert client.patch(detail("docs.pip.example"), json=off, headers=headers).status_code == 200
    assert client.patch(detail("www.pip.example"), json=on, headers=headers).json["canonical"]
    # Patching the canonical one again is not a second canonical.
    assert client.patch(detail("www.pip.example"), json=on, headers=headers).status_code == 200


def test_a_body_of_the_wrong_type_is_a_400_in_the_contract(client, project, headers):
    assert_error(client.post(LIST, json={"domain": 5}, headers=headers), 400, "validation_error")
    assert_error(client.post(LIST, json={}, headers=headers), 400, "validation_error")
    assert_error(client.post(LIST, json={"domain": "a.example", "canonical": "maybe"}, headers=headers), 400,
                 "validation_error")


# --- who may -------------------------------------------------------------------------------------------


def test_writes_need_a_maintainer(client, project, headers, other_headers):
    assert_error(client.post(LIST, json={"domain": "docs.pip.example"}), 401, "auth_required")
    assert_error(client.post(LIST, json={"domain": "docs.pip.example"}, headers=other_headers), 403,
                 "permission_denied")
    add(client, headers, "docs.pip.example")
    assert_error(client.delete(detail("docs.pip.example"), headers=other_headers), 403, "permission_denied")
    patched = client.patch(detail("docs.pip.example"), json={"canonical": True}, headers=other_headers)
    assert_error(patched, 403, "permission_denied")


def test_a_private_projects_domains_are_invisible_to_others(client, user, headers, other_headers):
    factories.ProjectFactory(name="Secret", slug="secret", privacy_level="private", maintainers=[user])
    assert add(client, headers, "docs.secret.example", slug="secret").status_code == 201
    assert_error(client.get("/api/v3/projects/secret/domains/"), 404, "not_found")
    assert_error(client.get(detail("docs.secret.example", "secret"), headers=other_headers), 404, "not_found")
    assert client.get("/api/v3/projects/secret/domains/", headers=headers).json["count"] == 1


def test_a_scope_narrower_than_projects_write_cannot_add_a_domain(client, project, user):
    _token, key = create_token(user, "narrow", scopes=["projects:read"])
    headers = {"Authorization": f"Token {key}"}
    assert client.get(LIST, headers=headers).status_code == 200
    body = assert_error(add(client, headers, "docs.pip.example"), 403, "insufficient_scope")
    assert body["required_scope"] == "projects:write"


def test_a_domain_of_another_project_is_not_found_under_this_one(client, project, headers, user):
    factories.ProjectFactory(name="Other", slug="other", maintainers=[user])
    add(client, headers, "docs.other.example", slug="other")
    assert_error(client.get(detail("docs.other.example")), 404, "not_found")
    assert_error(client.delete(detail("docs.other.example"), headers=headers), 404, "not_found")


def test_domain_changes_are_audited(client, project, headers, user):
    add(client, headers, "docs.pip.example", canonical=True)
    client.patch(detail("docs.pip.example"), json={"https": False}, headers=headers)
    client.delete(detail("docs.pip.example"), headers=headers)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.project == "pip").order_by(AuditEvent.id))
    seen = [(e.action, e.actor, e.target, e.details) for e in events if e.action.startswith("domain.")]
    assert seen == [
        ("domain.added", "alice", "docs.pip.example", {"canonical": True}),
        ("domain.changed", "alice", "docs.pip.example", {"https": False}),
        ("domain.removed", "alice", "docs.pip.example", None),
    ]


def test_deleting_the_project_removes_its_domains_and_frees_the_names(client, project, headers, user):
    add(client, headers, "docs.pip.example", canonical=True)
    assert client.delete("/api/v3/projects/pip/", headers=headers).status_code == 204
    assert db.session.scalar(select(func.count(Domain.id))) == 0
    factories.ProjectFactory(name="Again", slug="again", maintainers=[user])
    assert add(client, headers, "docs.pip.example", slug="again").status_code == 201


def test_the_database_itself_holds_one_canonical_per_project(project):
    db.session.add_all([Domain(project=project, domain="a.pip.example", canonical=True),
                        Domain(project=project, domain="b.pip.example", canonical=False),
                        Domain(project=project, domain="c.pip.example", canonical=False)])
    db.session.commit()
    db.session.add(Domain(project=project, domain="d.pip.example", canonical=True))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
