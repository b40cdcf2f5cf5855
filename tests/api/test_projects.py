"""Projects: list, import, detail, update, delete, superproject, sync-versions."""

from __future__ import annotations

import os

from rq import Queue

from app.extensions import db, get_redis
from app.models import User
from tests import factories
from tests.api.helpers import assert_error
from tests.golden import assert_golden


def make_pip(user, **kwargs):
    return factories.ProjectFactory(
        name="Pip",
        slug="pip",
        maintainers=[user],
        homepage="https://pip.pypa.io/",
        tags=["packaging"],
        **kwargs,
    )


# --- list ---------------------------------------------------------------------------------------


def test_list_requires_authentication(client):
    body = assert_error(client.get("/api/v3/projects/"), 401, "auth_required", "auth")
    assert "credentials" in body["detail"]


def test_list_shows_only_maintained_projects(client, user, headers):
    make_pip(user)
    factories.ProjectFactory(name="Other")
    response = client.get("/api/v3/projects/", headers=headers)
    assert response.status_code == 200
    assert response.json["count"] == 1
    assert [p["slug"] for p in response.json["results"]] == ["pip"]
    assert response.json["next"] is None and response.json["previous"] is None


def test_list_filters_by_language(client, user, headers):
    make_pip(user)
    factories.ProjectFactory(name="Docs Es", language="es", programming_language="js", maintainers=[user])
    assert client.get("/api/v3/projects/?language=es", headers=headers).json["count"] == 1
    assert client.get("/api/v3/projects/?programming_language=py", headers=headers).json["count"] == 1


def test_pagination_links_are_absolute(client, user, headers):
    for n in range(25):
        factories.ProjectFactory(name=f"P {n:02d}", maintainers=[user])
    first = client.get("/api/v3/projects/", headers=headers).json
    assert first["count"] == 25 and len(first["results"]) == 10
    assert first["next"] == "http://localhost/api/v3/projects/?limit=10&offset=10"
    assert first["previous"] is None
    last = client.get("/api/v3/projects/?limit=10&offset=20", headers=headers).json
    assert len(last["results"]) == 5 and last["next"] is None
    assert last["previous"] == "http://localhost/api/v3/projects/?limit=10&offset=10"
    beyond = client.get("/api/v3/projects/?offset=500", headers=headers)
    assert beyond.status_code == 200 and beyond.json["results"] == [] and beyond.json["count"] == 25


def test_pagination_tolerates_bad_values(client, user, headers):
    for n in range(12):
        factories.ProjectFactory(name=f"P {n:02d}", maintainers=[user])
    for query in ("limit=abc", "limit=0", "limit=-4", "offset=xyz&limit=", "offset=-3"):
        body = client.get(f"/api/v3/projects/?{query}", headers=headers).json
        assert len(body["results"]) == 10, query
    repeated = client.get("/api/v3/projects/?limit=5&limit=7", headers=headers).json
    assert len(repeated["results"]) == 5
    capped = client.get("/api/v3/projects/?limit=5000&offset=1", headers=headers).json
    assert len(capped["results"]) == 11
    assert capped["previous"] == "http://localhost/api/v3/projects/?limit=1000&offset=0"


def test_list_query_count_does_not_grow_with_items(client, user, headers, count_queries):
    def run(n, query):
        with count_queries() as counter:
            response = client.get(f"/api/v3/projects/?limit=100&{query}", headers=headers)
        assert response.status_code == 200 and response.json["count"] == n
        return counter.count

    expand = "expand=active_versions.last_build,permissions"
    client.get(
        "/api/v3/", headers=headers
    )  # the token's first use writes last_used: keep it out of the count
    project = make_pip(user)
    user_id = user.id
    factories.BuildFactory(version=factories.VersionFactory(project=project, built=True))
    one = (run(1, ""), run(1, expand))
    owner = db.session.get(User, user_id)  # the count detached the test's objects
    for n in range(99):
        p = factories.ProjectFactory(name=f"P {n:02d}", maintainers=[owner])
        factories.BuildFactory(version=factories.VersionFactory(project=p, built=True))
    hundred = (run(100, ""), run(100, expand))
    assert one == hundred


# --- create -------------------------------------------------------------------------------------


def test_create_imports_project(client, user, headers):
    body = {
        "name": "Test Project",
        "repository": {"url": "https://github.com/readthedocs/template", "type": "git"},
        "homepage": "http://template.readthedocs.io/",
        "programming_language": "py",
        "language": "es",
        "unknown_field": "ignored",
    }
    response = client.post("/api/v3/projects/", json=body, headers=headers)
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == "http://localhost/api/v3/projects/test-project/"
    data = response.json
    assert data["slug"] == "test-project" and data["language"] == {"code": "es", "name": "Spanish"}
    assert data["users"] == [{"username": "alice"}]
    versions = client.get("/api/v3/projects/test-project/versions/", headers=headers).json
    assert [v["slug"] for v in versions["results"]] == ["latest"]


def test_create_requires_authentication(client):
    response = client.post("/api/v3/projects/", json={"name": "x", "repository": {"url": "https://e/x"}})
    assert_error(response, 401, "auth_required")
    assert response.headers["WWW-Authenticate"].startswith("Token")


def test_create_validation_errors_nest_like_the_input(client, headers):
    body = assert_error(
        client.post("/api/v3/projects/", json={"repository": {}}, headers=headers),
        400,
        "validation_error",
        "validation",
    )
    assert set(body["errors"]) == {"name", "repository"}
    assert "url" in body["errors"]["repository"]


def test_create_rejects_bad_values(client, headers):
    cases = [
        {"name": "x", "repository": {"url": "https://e/x", "type": "svn"}},
        {"name": "x", "repository": {"url": "https://e/x"}, "language": "klingon"},
        {"name": "x", "repository": {"url": "https://e/x"}, "programming_language": "cobol9"},
        {"name": "x", "repository": {"url": "https://e/x"}, "homepage": "not a url"},
        {"name": "x" * 64, "repository": {"url": "https://e/x"}},
        {"name": "!!!", "repository": {"url": "https://e/x"}},
    ]
    for body in cases:
        assert_error(client.post("/api/v3/projects/", json=body, headers=headers), 400, "validation_error")


def test_create_duplicate_slug_is_400(client, user, headers):
    make_pip(user)
    body = assert_error(
        client.post(
            "/api/v3/projects/", json={"name": "PIP", "repository": {"url": "https://e/p"}}, headers=headers
        ),
        400,
        "validation_error",
    )
    assert "pip" in body["errors"]["name"][0]


def test_malformed_json_and_wrong_media_type(client, headers):
    bad = client.post("/api/v3/projects/", data="{not json", content_type="application/json", headers=headers)
    assert_error(bad, 400, "validation_error")
    wrong = client.post(
        "/api/v3/projects/", data="name=x", content_type="application/x-www-form-urlencoded", headers=headers
    )
    assert_error(wrong, 415, "unsupported_media_type")
    listed = client.post("/api/v3/projects/", json=["a", "list"], headers=headers)
    assert_error(listed, 400, "validation_error")


def test_payload_too_large(client, headers):
    response = client.post(
        "/api/v3/projects/", data="x" * (3 * 1024 * 1024), content_type="application/json", headers=headers
    )
    assert_error(response, 413, "payload_too_large")


# --- detail -------------------------------------------------------------------------------------


def test_detail_matches_golden(client, user):
    make_pip(user)
    response = client.get("/api/v3/projects/pip/")  # anonymous read of a public project
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert_golden("project", response.json)
    assert list(response.json) == sorted(response.json)


def test_private_project_is_invisible_to_others(client, user, headers):
    factories.ProjectFactory(name="Secret", privacy_level="private")
    assert_error(client.get("/api/v3/projects/secret/", headers=headers), 404, "not_found")
    assert_error(client.get("/api/v3/projects/secret/"), 404, "not_found")
    factories.ProjectFactory(name="Mine", privacy_level="private", maintainers=[user])
    assert client.get("/api/v3/projects/mine/", headers=headers).status_code == 200


def test_token_keyword_is_case_insensitive_and_bearer_works(client, user, token):
    make_pip(user)
    for header in (f"token {token}", f"TOKEN {token}", f"Bearer {token}"):
        response = client.get("/api/v3/projects/", headers={"Authorization": header})
        assert response.status_code == 200, header


def test_invalid_token_is_401_even_on_public_reads(client, user):
    make_pip(user)
    assert_error(
        client.get("/api/v3/projects/pip/", headers={"Authorization": "Token nope"}), 401, "auth_required"
    )
    assert_error(
        client.get("/api/v3/projects/pip/", headers={"Authorization": "Basic abc"}), 401, "auth_required"
    )


def test_unknown_url_uses_error_contract(client):
    body = assert_error(client.get("/api/v3/nothing-here/"), 404, "not_found", "not_found")
    assert body["detail"] == "Not found."


def test_request_id_is_kept_when_sane(client):
    response = client.get("/api/v3/", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    response = client.get("/api/v3/", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["X-Request-ID"] != "bad id\twith spaces"


def test_problem_json_on_request(client):
    response = client.get("/api/v3/projects/", headers={"Accept": "application/problem+json"})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


# --- fields / omit / expand ---------------------------------------------------------------------


def test_fields_and_omit(client, user):
    make_pip(user)
    assert set(client.get("/api/v3/projects/pip/?fields=name,slug").json) == {"name", "slug"}
    assert set(client.get("/api/v3/projects/pip/?fields=name&fields=slug&fields=nope").json) == {
        "name",
        "slug",
    }
    omitted = client.get("/api/v3/projects/pip/?omit=_links,urls").json
    assert "_links" not in omitted and "urls" not in omitted and "slug" in omitted
    nested = client.get("/api/v3/projects/pip/?fields=slug,repository.url").json
    assert nested == {"slug": "pip", "repository": {"url": "https://git.example.com/pip.git"}}
    assert client.get("/api/v3/projects/pip/?omit=repository.type").json["repository"] == {
        "url": "https://git.example.com/pip.git", "credentials": {"kind": None, "set": False}
    }


def test_expand_active_versions_and_permissions(client, user, headers):
    project = make_pip(user)
    built = factories.VersionFactory(project=project, slug="1.0", built=True)
    factories.VersionFactory(project=project, slug="hidden-private", built=True, privacy_level="private")
    factories.BuildFactory(version=built, config={"version": 2})
    plain = client.get("/api/v3/projects/pip/", headers=headers).json
    assert "active_versions" not in plain and "permissions" not in plain
    body = client.get("/api/v3/projects/pip/?expand=active_versions,permissions", headers=headers).json
    assert [v["slug"] for v in body["active_versions"]] == ["1.0"]
    assert "last_build" not in body["active_versions"][0]
    assert body["permissions"] == {"admin": True}
    assert client.get("/api/v3/projects/pip/?expand=permissions").json["permissions"] == {"admin": False}
    deep = client.get("/api/v3/projects/pip/?expand=active_versions.last_build.config").json
    assert deep["active_versions"][0]["last_build"]["config"] == {"version": 2}
    mid = client.get("/api/v3/projects/pip/?expand=active_versions.last_build").json
    assert "config" not in mid["active_versions"][0]["last_build"]
    only = client.get("/api/v3/projects/pip/?expand=active_versions&fields=active_versions.slug").json
    assert only == {"active_versions": [{"slug": "1.0"}]}


def test_repeated_path_segment_is_400(client, user):
    make_pip(user)
    body = assert_error(client.get("/api/v3/projects/pip/?expand=config.config"), 400, "validation_error")
    assert "expand" in body["errors"]


# --- update -------------------------------------------------------------------------------------


def test_patch_updates_and_returns_204(client, user, headers):
    make_pip(user)
    response = client.patch(
        "/api/v3/projects/pip/",
        headers=headers,
        json={
            "name": "New name",
            "repository": {"url": "https://github.com/pypa/pip2"},
            "language": "ja",
            "default_branch": "develop",
            "single_version": True,
            "analytics_code": "UA000000",
        },
    )
    assert response.status_code == 204 and response.data == b""
    data = client.get("/api/v3/projects/pip/").json
    assert data["name"] == "New name" and data["slug"] == "pip"
    assert data["repository"] == {
        "url": "https://github.com/pypa/pip2", "type": "git", "credentials": {"kind": None, "set": False}
    }
    assert data["language"]["code"] == "ja" and data["default_branch"] == "develop"
    assert data["single_version"] is True
    assert data["versioning_scheme"] == "single_version_without_translations"


def test_put_requires_whole_representation(client, user, headers):
    make_pip(user)
    assert_error(
        client.put("/api/v3/projects/pip/", headers=headers, json={"language": "es"}), 400, "validation_error"
    )
    ok = client.put(
        "/api/v3/projects/pip/", headers=headers, json={"name": "Pip", "repository": {"url": "https://e/pip"}}
    )
    assert ok.status_code == 204


def test_update_permissions_in_order(client, user, headers):
    make_pip(user)
    other = factories.UserFactory(username="mallory")
    other_headers = {"Authorization": f"Token {factories.make_token(other)}"}
    assert_error(client.patch("/api/v3/projects/pip/", json={"name": "x"}), 401, "auth_required")
    assert_error(
        client.patch("/api/v3/projects/pip/", json={"name": "x"}, headers=other_headers),
        403,
        "permission_denied",
    )
    assert_error(
        client.patch("/api/v3/projects/nope/", json={"name": "x"}, headers=other_headers), 404, "not_found"
    )
    admin = factories.UserFactory(username="root", role="admin")
    admin_headers = {"Authorization": f"Token {factories.make_token(admin)}"}
    assert (
        client.patch("/api/v3/projects/pip/", json={"name": "Admin"}, headers=admin_headers).status_code
        == 204
    )


def test_slashless_patch_is_308_and_keeps_method_body_and_token(client, user, headers):
    make_pip(user)
    response = client.patch("/api/v3/projects/pip", json={"name": "Renamed"}, headers=headers)
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/api/v3/projects/pip/")
    followed = client.patch(
        "/api/v3/projects/pip", json={"name": "Renamed"}, headers=headers, follow_redirects=True
    )
    assert followed.status_code == 204
    assert client.get("/api/v3/projects/pip/").json["name"] == "Renamed"


# --- delete -------------------------------------------------------------------------------------


def test_delete_removes_project_and_its_docs(app, client, user, headers):
    make_pip(user)
    site = os.path.join(app.config["STORAGE_DIR"], "pip", "latest", "html")
    os.makedirs(site)
    open(os.path.join(site, "index.html"), "w").close()
    response = client.delete("/api/v3/projects/pip/", headers=headers)
    assert response.status_code == 204 and response.data == b""
    assert not os.path.exists(os.path.join(app.config["STORAGE_DIR"], "pip"))
    assert_error(client.get("/api/v3/projects/pip/"), 404, "not_found")


def test_delete_while_building_is_409(client, user, headers):
    project = make_pip(user)
    factories.BuildFactory(version=project.versions[0], state="building", success=None)
    assert_error(client.delete("/api/v3/projects/pip/", headers=headers), 409, "conflict", "conflict")


def test_method_not_allowed_after_auth_checks(client, user, headers):
    make_pip(user)
    assert_error(client.delete("/api/v3/projects/"), 401, "auth_required")
    response = client.delete("/api/v3/projects/", headers=headers)
    body = assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"] and "DELETE" in body["detail"]
    assert_error(
        client.post("/api/v3/projects/pip/superproject/", headers=headers), 405, "method_not_allowed"
    )


# --- superproject and sync-versions ---------------------------------------------------------------


def test_superproject_404_when_not_a_subproject(client, user):
    make_pip(user)
    assert_error(client.get("/api/v3/projects/pip/superproject/"), 404, "not_found")


def test_sync_versions_enqueues_a_job(app, client, user, headers):
    project = make_pip(user)
    response = client.post("/api/v3/projects/pip/sync-versions/", headers=headers)
    assert response.status_code == 202 and response.json == {"triggered": True}
    jobs = Queue("default", connection=get_redis(app)).get_jobs()
    assert [(j.func_name, j.args) for j in jobs] == [("workers.jobs.sync_versions", (project.id,))]
    assert_error(client.post("/api/v3/projects/pip/sync-versions/"), 401, "auth_required")


def test_writes_are_authorised_before_the_body_is_read(client, user):
    make_pip(user)
    other = {"Authorization": f"Token {factories.make_token(factories.UserFactory(username='zed'))}"}
    assert_error(client.post("/api/v3/projects/", json={}), 401, "auth_required")
    assert_error(client.patch("/api/v3/projects/pip/", json={"language": "xx"}), 401, "auth_required")
    assert_error(
        client.patch("/api/v3/projects/pip/", json={"language": "xx"}, headers=other),
        403,
        "permission_denied",
    )
    assert_error(
        client.patch("/api/v3/projects/pip/versions/latest/", json={"active": "x"}, headers=other),
        403,
        "permission_denied",
    )
    assert_error(
        client.patch("/api/v3/projects/nope/", json={"language": "xx"}, headers=other), 404, "not_found"
    )


def test_delete_removes_the_repository_cache(app, client, user, headers):
    from app import storage

    project = make_pip(user)
    cache = storage.repository_cache(project.id)
    os.makedirs(os.path.join(cache, "objects"))
    assert client.delete("/api/v3/projects/pip/", headers=headers).status_code == 204
    assert not os.path.exists(cache)


def test_documentation_urls_follow_the_versioning_scheme(client, user):
    make_pip(user, versioning_scheme="multiple_versions_without_translations")
    factories.ProjectFactory(name="Solo", versioning_scheme="single_version_without_translations")
    assert client.get("/api/v3/projects/pip/").json["urls"]["documentation"] == "http://docs.localhost/docs/pip/latest/"
    assert client.get("/api/v3/projects/pip/versions/latest/").json["urls"]["documentation"] == (
        "http://docs.localhost/docs/pip/latest/")
    assert client.get("/api/v3/projects/solo/").json["urls"]["documentation"] == "http://docs.localhost/docs/solo/"


def test_a_write_looks_the_project_up_once(client, user, headers, count_queries):
    make_pip(user)
    client.get("/api/v3/", headers=headers)  # the token's first use writes last_used
    with count_queries() as counter:
        response = client.patch("/api/v3/projects/pip/", json={"name": "Once"}, headers=headers)
    assert response.status_code == 204
    lookups = [s for s in counter.statements if s.lstrip().startswith("SELECT projects.")]
    assert len(lookups) == 1, lookups
