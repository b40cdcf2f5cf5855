"""The OpenAPI document and its offline UI page."""

from __future__ import annotations

from tests.api.helpers import assert_error

EXPECTED_PATHS = {
    "/api/v3/",
    "/api/v3/projects/",
    "/api/v3/projects/{project_slug}/",
    "/api/v3/projects/{project_slug}/superproject/",
    "/api/v3/projects/{project_slug}/sync-versions/",
    "/api/v3/projects/{project_slug}/versions/",
    "/api/v3/projects/{project_slug}/versions/{version_slug}/",
    "/api/v3/projects/{project_slug}/builds/",
    "/api/v3/projects/{project_slug}/builds/{build_id}/",
    "/api/v3/projects/{project_slug}/versions/{version_slug}/builds/",
    "/api/v3/projects/{project_slug}/versions/{version_slug}/builds/{build_id}/",
    "/api/v3/projects/{project_slug}/subprojects/",
    "/api/v3/projects/{project_slug}/translations/",
    "/api/v3/projects/{project_slug}/redirects/",
    "/api/v3/projects/{project_slug}/environmentvariables/",
}


def test_openapi_document_lists_every_operation_with_summary_and_errors(client):
    response = client.get("/api/v3/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["info"]["title"] == "Docshelf API"
    assert set(spec["paths"]) >= EXPECTED_PATHS
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            statuses = set(operation["responses"])
            if method != "get" or "{" in path:
                assert any(s.startswith(("4", "5")) for s in statuses), f"{method.upper()} {path}: no errors"
            assert "default" in statuses  # the error contract, documented once


def test_paginated_lists_document_the_envelope(client):
    spec = client.get("/api/v3/openapi.json").json
    get = spec["paths"]["/api/v3/projects/{project_slug}/versions/"]["get"]
    params = {p["name"] for p in get["parameters"]}
    assert {"limit", "offset", "active", "built"} <= params
    schema = get["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][name]["properties"]) == {"count", "next", "previous", "results"}


def test_docs_page_uses_local_assets(client):
    page = client.get("/api/v3/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http" not in html.split("<body>")[0].replace("http-equiv", "")
    assert client.get("/api/v3/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/v3/docs/assets/swagger-ui.css").status_code == 200
    assert_error(client.get("/api/v3/docs/assets/missing.js"), 404, "not_found")


def test_error_responses_document_the_problem_schema(client):
    spec = client.get("/api/v3/openapi.json").json
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]
    name = default["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][name]["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "code",
        "category",
        "retryable",
        "errors",
        "request_id",
    }


def test_invalid_input_is_documented_as_400_not_422(client):
    spec = client.get("/api/v3/openapi.json").json
    post = spec["paths"]["/api/v3/projects/"]["post"]
    assert "400" in post["responses"] and "422" not in post["responses"]
    assert all("422" not in op["responses"] for ops in spec["paths"].values() for op in ops.values()
               if isinstance(op, dict) and "responses" in op)
