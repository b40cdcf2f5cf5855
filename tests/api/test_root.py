from tests import factories


def test_root_lists_entry_points(client):
    response = client.get("/api/v3/")
    assert response.status_code == 200
    assert response.json["_links"] == {
        "projects": "http://localhost/api/v3/projects/",
        "openapi": "http://localhost/api/v3/openapi.json",
        "docs": "http://localhost/api/v3/docs/",
    }
    assert client.get("/api/v3/openapi.json").status_code == 200


def test_project_detail(client, user, headers):
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    response = client.get("/api/v3/projects/pip/", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["slug"] == project.slug
