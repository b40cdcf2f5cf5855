"""/api/v3/projects/<p>/integrations/: incoming webhooks, maintainers only, the secret shown once."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.crypto import decrypt
from app.extensions import db
from app.models import Integration, IntegrationDelivery, Project
from app.services import projects as project_service
from tests import factories
from tests.api.helpers import assert_error
from tests.golden import assert_golden, normalise

LIST = "/api/v3/projects/pip/integrations/"
FIELDS = {"id", "integration_type", "build_new_versions", "url", "created", "modified", "_links",
          "status_token_set"}
SECRET = "a-maintainer-chosen-secret-that-must-not-leak"


def detail(pk: int, slug: str = "pip") -> str:
    return f"/api/v3/projects/{slug}/integrations/{pk}/"


def without_ids(body: Any, pk: int) -> Any:
    """The golden files' ``<id>`` for this integration's id inside its URLs (tests.golden does the rest)."""
    if isinstance(body, dict):
        return {k: without_ids(v, pk) for k, v in body.items()}
    if isinstance(body, str):
        return re.sub(rf"/{pk}/", "/<id>/", body)
    return body


def stored(pk: int) -> Integration:
    db.session.expire_all()
    return db.session.scalars(select(Integration).where(Integration.id == pk)).one()


def create(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(LIST, json={"integration_type": "github_webhook", **body}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


# --- success paths -------------------------------------------------------------------------------------


def test_create_generates_a_secret_shown_once_and_stored_encrypted(client, project, headers):
    response = client.post(LIST, json={"integration_type": "github_webhook"}, headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == FIELDS | {"secret"}
    assert len(body["secret"]) >= 40  # secrets.token_urlsafe(32)
    assert response.headers["Location"] == body["_links"]["_self"] == f"http://localhost{detail(body['id'])}"
    assert body["url"] == f"http://localhost/api/v2/webhook/github/pip/{body['id']}/"
    row = stored(body["id"])
    assert body["secret"] not in row.secret_encrypted and decrypt(row.secret_encrypted) == body["secret"]
    # Afterwards, never: detail, list, ?fields=secret, PATCH answers.
    later = [
        client.get(detail(body["id"]), headers=headers),
        client.get(LIST, headers=headers),
        client.get(detail(body["id"]) + "?fields=secret,id", headers=headers),
        client.patch(detail(body["id"]), json={"build_new_versions": True}, headers=headers),
    ]
    assert [r.status_code for r in later] == [200, 200, 200, 200]
    for answer in later:
        assert body["secret"] not in answer.get_data(as_text=True)
        assert "secret" not in answer.get_data(as_text=True)


def test_given_secret_is_kept_write_only(client, project, headers):
    body = create(client, headers, integration_type="gitlab_webhook", secret=SECRET)
    assert body["secret"] == SECRET  # echoed in the create response only, like a generated one
    assert decrypt(stored(body["id"]).secret_encrypted) == SECRET
    assert body["url"] == f"http://localhost/api/v2/webhook/gitlab/pip/{body['id']}/"
    another = "another-secret-" + "0123456789" * 2
    patched = client.patch(detail(body["id"]), json={"secret": another}, headers=headers)
    assert patched.status_code == 200 and "another-secret" not in patched.get_data(as_text=True)
    assert decrypt(stored(body["id"]).secret_encrypted) == another


def test_generic_url_is_read_the_docs_one(client, project, headers):
    body = create(client, headers, integration_type="generic_api_incoming", build_new_versions=True)
    assert body["url"] == f"http://localhost/api/v2/webhook/pip/{body['id']}/"
    assert body["build_new_versions"] is True


def test_detail_matches_golden(client, project, headers):
    pk = create(client, headers, unknown_field=1)["id"]
    response = client.get(detail(pk), headers=headers)
    assert response.status_code == 200
    assert set(response.json) == FIELDS
    assert_golden("integration", without_ids(response.json, pk))


def test_regenerate_secret_replaces_it_and_shows_the_new_one_once(client, project, headers):
    first = create(client, headers)
    response = client.post(detail(first["id"]) + "regenerate_secret/", headers=headers)
    assert response.status_code == 200, response.json
    new = response.json["secret"]
    assert new != first["secret"] and decrypt(stored(first["id"]).secret_encrypted) == new
    assert set(response.json) == FIELDS | {"secret"}


def test_patch_updates_build_new_versions_and_ignores_the_type(client, project, headers):
    body = create(client, headers)
    response = client.patch(
        detail(body["id"]),
        json={"build_new_versions": True, "integration_type": "gitlab_webhook"},
        headers=headers,
    )
    assert response.status_code == 200
    assert (
        response.json["build_new_versions"] is True and response.json["integration_type"] == "github_webhook"
    )
    assert stored(body["id"]).build_new_versions is True


def test_delete_removes_the_integration_and_its_deliveries(client, project, headers):
    pk = create(client, headers)["id"]
    db.session.add(IntegrationDelivery(integration_id=pk, delivery_id="d1", dedup_key="d1", event="push"))
    db.session.commit()
    response = client.delete(detail(pk), headers=headers)
    assert response.status_code == 204 and response.get_data() == b""
    assert_error(client.get(detail(pk), headers=headers), 404, "not_found")
    assert db.session.scalars(select(IntegrationDelivery)).all() == []


def test_deleting_the_project_deletes_its_integrations(client, project, headers):
    pk = create(client, headers)["id"]
    db.session.add(IntegrationDelivery(integration_id=pk, delivery_id="d1", dedup_key="d1", event="push"))
    db.session.commit()
    project_service.delete_project(db.session.get(Project, project.id))
    db.session.expire_all()
    assert db.session.scalars(select(Integration)).all() == []
    assert db.session.scalars(select(IntegrationDelivery)).all() == []


def test_list_is_paginated(client, project, headers):
    ids = [create(client, headers)["id"] for _ in range(3)]
    first = client.get(LIST + "?limit=2", headers=headers).json
    assert first["count"] == 3 and [i["id"] for i in first["results"]] == ids[:2]
    assert first["next"] == "http://localhost/api/v3/projects/pip/integrations/?limit=2&offset=2"
    assert all("secret" not in item for item in first["results"])


def test_list_query_count_does_not_grow_with_items(client, project, headers, count_queries):
    def queries() -> int:
        with count_queries() as counter:
            assert client.get(LIST, headers=headers).status_code == 200
        return counter.count

    create(client, headers)
    one = queries()
    for _ in range(4):
        create(client, headers)
    assert queries() == one


def test_deliveries_are_listed_newest_first(client, project, headers):
    pk = create(client, headers)["id"]
    for n in range(3):
        db.session.add(
            IntegrationDelivery(
                integration_id=pk,
                delivery_id=f"d{n}",
                dedup_key=f"d{n}",
                event="push",
                status_code=200,
                outcome={"build_triggered": False, "detail": f"delivery {n}"},
            )
        )
    db.session.commit()
    response = client.get(detail(pk) + "deliveries/", headers=headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["count"] == 3 and [d["delivery_id"] for d in body["results"]] == ["d2", "d1", "d0"]
    first = body["results"][0]
    assert set(first) == {"id", "delivery_id", "event", "received", "http_status", "outcome", "_links"}
    assert first["http_status"] == 200 and first["outcome"]["detail"] == "delivery 2"
    one = client.get(first["_links"]["_self"].removeprefix("http://localhost"), headers=headers)
    assert one.status_code == 200 and normalise(one.json)["event"] == "push"


# --- permissions and errors ---------------------------------------------------------------------------


def test_anonymous_gets_401_everywhere(client, project, headers):
    pk = create(client, headers)["id"]
    for response in (
        client.get(LIST),
        client.post(LIST, json={"integration_type": "github_webhook"}),
        client.get(detail(pk)),
        client.patch(detail(pk), json={"build_new_versions": True}),
        client.delete(detail(pk)),
        client.post(detail(pk) + "regenerate_secret/"),
        client.get(detail(pk) + "deliveries/"),
    ):
        assert_error(response, 401, "auth_required")


def test_non_maintainer_gets_403_on_public_and_404_on_private_projects(
    client, project, headers, other_headers
):
    pk = create(client, headers)["id"]
    for response in (
        client.get(LIST, headers=other_headers),
        client.post(LIST, json={"integration_type": "github_webhook"}, headers=other_headers),
        client.get(detail(pk), headers=other_headers),
        client.delete(detail(pk), headers=other_headers),
        client.post(detail(pk) + "regenerate_secret/", headers=other_headers),
        client.get(detail(pk) + "deliveries/", headers=other_headers),
    ):
        assert_error(response, 403, "permission_denied")
    project.privacy_level = "private"
    db.session.commit()
    assert_error(client.get(detail(pk), headers=other_headers), 404, "not_found")
    assert_error(client.get(LIST, headers=other_headers), 404, "not_found")
    assert stored(pk).integration_type == "github_webhook"


def test_integration_of_another_project_is_404(client, project, user, headers):
    factories.ProjectFactory(name="Other", slug="other", maintainers=[user])
    pk = create(client, headers)["id"]
    assert_error(client.get(detail(pk, "other"), headers=headers), 404, "not_found")
    assert_error(client.get(detail(pk) + "deliveries/999/", headers=headers), 404, "not_found")


def test_invalid_bodies_are_400(client, project, headers):
    bad_type = assert_error(
        client.post(LIST, json={"integration_type": "bitbucket"}, headers=headers), 400, "validation_error"
    )
    assert "integration_type" in bad_type["errors"]
    missing = assert_error(client.post(LIST, json={}, headers=headers), 400, "validation_error")
    assert "integration_type" in missing["errors"]
    long_secret = "x" * 300
    too_long = client.post(
        LIST, json={"integration_type": "github_webhook", "secret": long_secret}, headers=headers
    )
    assert assert_error(too_long, 400, "validation_error")["errors"]["secret"]
    assert long_secret not in too_long.get_data(as_text=True)
    blank = client.post(LIST, json={"integration_type": "github_webhook", "secret": "  "}, headers=headers)
    assert_error(blank, 400, "validation_error")
    assert db.session.scalars(select(Integration)).all() == []


def test_put_is_405(client, project, headers):
    pk = create(client, headers)["id"]
    assert_error(
        client.put(detail(pk), json={"build_new_versions": True}, headers=headers), 405, "method_not_allowed"
    )


def test_deliveries_query_count_does_not_grow_with_items(client, project, headers, count_queries):
    pk = create(client, headers)["id"]
    url = detail(pk) + "deliveries/"

    def add(n: int) -> None:
        db.session.add(
            IntegrationDelivery(integration_id=pk, delivery_id=f"d{n}", event="push", status_code=200)
        )
        db.session.commit()

    def queries() -> int:
        with count_queries() as counter:
            assert client.get(url, headers=headers).status_code == 200
        return counter.count

    add(0)
    one = queries()
    for n in range(1, 5):
        add(n)
    assert queries() == one
