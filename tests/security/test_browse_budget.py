"""Browsers read from their own rate-limit budget: pages, log polling and the API's documentation do not
run into the 5-a-minute anonymous limit that API clients (and every write) keep."""

from __future__ import annotations

from app.services.accounts import create_user
from tests import factories
from tests.api.test_browsable import BROWSER
from tests.security.test_ratelimit import assert_throttled
from tests.security.test_sessions import PASSWORD, login, session_csrf


def test_anonymous_pages_and_api_docs_have_their_own_budget(client, limits_on):
    limits_on(RATE_LIMIT_ANONYMOUS="2/hour", RATE_LIMIT_BROWSE="6/hour")
    factories.ProjectFactory(name="Pip")
    html = {"Accept": BROWSER}
    for url in ("/api/v3/", "/api/v3/projects/pip/versions/", "/api/v3/projects/pip/", "/api/v3/docs/",
                "/api/v3/openapi.json"):
        response = client.get(url, headers=html)
        assert response.status_code == 200, url
        assert response.headers["RateLimit-Limit"] == "6", url
    # The JSON budget is untouched by all that browsing, and stays Read the Docs' small one.
    versions = "/api/v3/projects/pip/versions/"
    assert client.get(versions).headers["RateLimit-Remaining"] == "1"
    assert client.get(versions).status_code == 200
    assert_throttled(client.get(versions), 2)
    assert_throttled(client.get(versions + "?format=json", headers=html), 2)  # JSON, in a browser
    assert client.get("/api/v3/projects/pip/", headers=html).status_code == 200  # the 6th page
    throttled = client.get(versions, headers=html)
    assert throttled.status_code == 429 and throttled.mimetype == "text/html"  # a page saying so
    assert "Request was throttled" in throttled.get_data(as_text=True)


def test_log_polling_as_text_is_a_browser_read(client, limits_on):
    limits_on(RATE_LIMIT_ANONYMOUS="1/hour", RATE_LIMIT_BROWSE="100/hour")
    project = factories.ProjectFactory(name="Pip")
    build = factories.BuildFactory(project=project, version=project.versions[0], state="building",
                                   success=None)
    url = f"/api/v3/projects/pip/builds/{build.id}/log.txt?offset=0"
    for _ in range(5):
        response = client.get(url, headers={"Accept": "text/plain"})
        assert response.status_code == 200 and response.headers["RateLimit-Limit"] == "100"
    assert client.get(url).status_code == 200  # curl's */*: the anonymous budget, its only request
    assert_throttled(client.get(url), 1)


def test_a_signed_in_browser_reads_from_the_browse_budget_not_the_users(client, limits_on):
    limits_on(RATE_LIMIT_USER="2/hour", RATE_LIMIT_BROWSE="50/hour")
    user = create_user("alice", password=PASSWORD)
    factories.ProjectFactory(name="Pip", maintainers=[user])
    assert login(client).status_code == 303
    for _ in range(4):
        response = client.get("/api/v3/projects/pip/", headers={"Accept": BROWSER})
        assert response.status_code == 200 and response.headers["RateLimit-Limit"] == "50"
    # Writes from the page stay under the user's limit, whatever the browser accepts.
    sent = {"Accept": BROWSER, "X-CSRF-Token": session_csrf(client)}
    first = client.patch("/api/v3/projects/pip/", headers=sent, json={"homepage": "https://example.org/"})
    assert first.status_code == 204 and first.headers["RateLimit-Limit"] == "2"
    assert client.patch("/api/v3/projects/pip/", headers=sent, json={}).status_code == 204
    assert_throttled(client.patch("/api/v3/projects/pip/", headers=sent, json={}), 2)
