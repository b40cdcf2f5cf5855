from tests import factories


def test_root_lists_entry_points(client):
    response = client.get("/api/v3/")
    assert response.status_code == 200
    assert response.json["_links"] == {
        "projects": "http://localhost/api/v3/projects/",
        "invitations": "http://localhost/api/v3/invitations/",
        "notifications": "http://localhost/api/v3/notifications/",
        "openapi": "http://localhost/api/v3/openapi.json",
        "docs": "http://localhost/api/v3/docs/",
    }
    assert client.get("/api/v3/openapi.json").status_code == 200


def test_project_detail(client, user, headers):
    project = factories.ProjectFactory(name="Pip", slug="pip", maintainers=[user])
    response = client.get("/api/v3/projects/pip/", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["slug"] == project.slug


def test_forwarded_headers_count_only_behind_trusted_proxies(app, redis_url, tmp_path):
    from app import create_app

    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "docs.example.org",
        "X-Forwarded-For": "203.0.113.9",
    }
    spoofed = app.test_client().get("/api/v3/", headers=forwarded).json
    assert spoofed["_links"]["projects"] == "http://localhost/api/v3/projects/"
    behind = create_app(
        DATA_DIR=str(tmp_path),
        DATABASE_URL=app.config["DATABASE_URL"],
        REDIS_URL=redis_url,
        SECRET_KEY="x",
        TRUSTED_PROXIES=1,
    )
    links = behind.test_client().get("/api/v3/", headers=forwarded).json["_links"]
    assert links["projects"] == "https://docs.example.org/api/v3/projects/"
