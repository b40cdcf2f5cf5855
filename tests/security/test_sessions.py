"""Browser sessions: login/logout pages, cookie flags, CSRF on unsafe API requests, argon2 passwords."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from app.services.accounts import create_user, set_password
from tests import factories
from tests.api.helpers import assert_error

PASSWORD = "correct horse battery"


def csrf_from(response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1)


def login(client, username="alice", password=PASSWORD, next_="/api/v3/"):
    token = csrf_from(client.get("/login"))
    form = {"username": username, "password": password, "csrf_token": token, "next": next_}
    return client.post("/login", data=form)


def session_csrf(client) -> str:
    return csrf_from(client.get("/logout"))


def test_passwords_are_hashed_with_argon2():
    user = create_user("alice", password=PASSWORD)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_login_page_and_cookie_flags(client):
    create_user("alice", password=PASSWORD)
    page = client.get("/login")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert (
        page.headers["X-Frame-Options"] == "DENY"
        and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    )
    response = login(client, next_="/api/v3/projects/")
    assert response.status_code == 303 and response.headers["Location"] == "/api/v3/projects/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("docshelf_session=")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert client.get("/api/v3/projects/").status_code == 200


def test_wrong_password_and_missing_csrf(client):
    create_user("alice", password=PASSWORD)
    failed = login(client, password="wrong password!")
    assert failed.status_code == 401 and "Invalid username or password" in failed.get_data(as_text=True)
    assert login(client, username="nobody").status_code == 401
    no_csrf = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert no_csrf.status_code == 403
    assert_error(client.get("/api/v3/projects/"), 401, "auth_required")
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("login.failed") == 2 and "login.succeeded" not in actions


def test_login_refuses_open_redirects(client):
    create_user("alice", password=PASSWORD)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        assert login(client, next_=target).headers["Location"] == "/api/v3/"


def test_session_needs_csrf_on_unsafe_api_requests(client):
    alice = create_user("alice", password=PASSWORD)
    factories.ProjectFactory(name="Pip", maintainers=[alice])
    login(client)
    assert client.get("/api/v3/projects/pip/").status_code == 200
    refused = client.patch("/api/v3/projects/pip/", json={"tags": ["x"]})
    body = assert_error(refused, 403, "csrf_failed", "auth")
    assert "X-CSRF-Token" in body["detail"]
    wrong = client.patch("/api/v3/projects/pip/", json={"tags": ["x"]}, headers={"X-CSRF-Token": "nope"})
    assert_error(wrong, 403, "csrf_failed")
    ok = client.patch(
        "/api/v3/projects/pip/", json={"tags": ["x"]}, headers={"X-CSRF-Token": session_csrf(client)}
    )
    assert ok.status_code == 204


def test_token_requests_need_no_csrf_even_with_a_session(client, user, headers):
    create_user("bob", password=PASSWORD)
    factories.ProjectFactory(name="Pip", maintainers=[user])
    login(client, username="bob")
    assert client.patch("/api/v3/projects/pip/", json={"tags": []}, headers=headers).status_code == 204


def test_logout_and_password_change_end_the_session(client):
    alice = create_user("alice", password=PASSWORD)
    login(client)
    response = client.post("/logout", data={"csrf_token": session_csrf(client)})
    assert response.status_code == 303
    assert_error(client.get("/api/v3/projects/"), 401, "auth_required")
    login(client)
    assert client.get("/api/v3/projects/").status_code == 200
    set_password(alice, "another long password")
    assert_error(client.get("/api/v3/projects/"), 401, "auth_required")


def test_logout_needs_csrf(client):
    create_user("alice", password=PASSWORD)
    login(client)
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/api/v3/projects/").status_code == 200


def _cookie(client) -> str:
    return client.get_cookie("docshelf_session").value


def test_logout_ends_the_session_on_the_server_so_a_copied_cookie_is_worthless(client):
    alice = create_user("alice", password=PASSWORD)
    factories.ProjectFactory(name="Pip", maintainers=[alice])
    login(client)
    stolen, csrf = _cookie(client), session_csrf(client)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    client.set_cookie("docshelf_session", stolen)  # the copy an attacker kept
    write = client.patch("/api/v3/projects/pip/", json={"tags": ["x"]}, headers={"X-CSRF-Token": csrf})
    assert_error(write, 401, "auth_required")
    for _ in range(2):  # a cacheable read: neither computed for the dead session nor served from the cache
        client.set_cookie("docshelf_session", stolen)
        assert_error(client.get("/api/v3/projects/"), 401, "auth_required")


def test_password_change_ends_every_session_of_the_user(app):
    alice = create_user("alice", password=PASSWORD)
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        login(browser)
        assert browser.get("/api/v3/projects/").status_code == 200
    set_password(alice, "another long password")
    for browser in browsers:
        assert_error(browser.get("/api/v3/projects/"), 401, "auth_required")


@pytest.mark.parametrize(
    "query",
    ["/%09/evil.example/", "/%0a/", "/%0d%0a/evil.example", "%09//evil.example", "/%5Cevil.example",
     "/%2509/evil.example", "/%252F/evil.example", "https:evil.example", "/%00", "/%E2%80%8E/evil.example",
     "//evil.example/", " //evil.example/"],
)
def test_login_next_is_a_same_origin_path_or_the_default(client, query):
    create_user("alice", password=PASSWORD)
    page = client.get(f"/login?next={query}")
    assert page.status_code == 200 and 'value="/api/v3/"' in page.get_data(as_text=True)
    token = csrf_from(page)
    form = {"username": "alice", "password": PASSWORD, "csrf_token": token}
    response = client.post(f"/login?next={query}", data=form)
    assert response.status_code == 303 and response.headers["Location"] == "/api/v3/"


def test_login_next_keeps_ordinary_paths(client):
    create_user("alice", password=PASSWORD)
    target = "/docs/pip/en/latest/some page.html?q=a#part"
    assert login(client, next_=target).headers["Location"] == "/docs/pip/en/latest/some%20page.html?q=a#part"


def test_a_session_ends_on_the_server_after_its_lifetime_and_housekeeping_purges_it(app, client):
    """A browser that never logs out: its session still ends after SESSION_LIFETIME, and its row goes."""
    from datetime import timedelta

    from sqlalchemy import func, update

    from app.models import UserSession
    from app.models.base import utcnow
    from workers.jobs import housekeeping

    create_user("alice", password=PASSWORD)
    login(client)
    assert client.get("/api/v3/projects/").status_code == 200
    lifetime = app.config["SESSION_LIFETIME"]
    db.session.execute(update(UserSession).values(created=utcnow() - timedelta(seconds=lifetime - 60)))
    db.session.commit()
    assert client.get("/api/v3/projects/").status_code == 200  # a minute left
    db.session.execute(update(UserSession).values(created=utcnow() - timedelta(seconds=lifetime + 1)))
    db.session.commit()
    assert_error(client.get("/api/v3/projects/"), 401, "auth_required")
    housekeeping()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_a_request_without_a_cookie_gets_no_session_cookie_back(client, user, headers):
    """Token clients send no cookie: they get no cookie, and no ``Vary: Cookie`` since their answer
    never looked at one; an anonymous answer does depend on the (absent) cookie and says so. The
    session still works for the browser that has one (the tests above)."""
    factories.ProjectFactory(name="Pip", maintainers=[user])
    with_token = client.get("/api/v3/projects/pip/", headers=headers)
    assert with_token.status_code == 200
    assert "Set-Cookie" not in with_token.headers and "Cookie" not in with_token.headers["Vary"]
    anonymous = client.get("/api/v3/projects/pip/")
    assert anonymous.status_code == 200
    assert "Set-Cookie" not in anonymous.headers and "Cookie" in anonymous.headers["Vary"]
    login_page = client.get("/login")  # a page that puts its CSRF token in the session sets the cookie
    assert "docshelf_session=" in login_page.headers["Set-Cookie"]
