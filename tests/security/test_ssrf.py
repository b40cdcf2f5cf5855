"""Repository URL checks (SSRF, command injection), unit-level and through the API, with a test resolver."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Project
from app.safety.local_repositories import RepositoryRules
from app.safety.urlcheck import check_outgoing_url, check_repository_url
from tests import conftest, factories
from tests.api.helpers import assert_error

DNS = {
    "github.com": ["140.82.121.4"],
    "rebind.example": ["93.184.216.34", "10.0.0.5"],  # one private answer is enough to refuse
    "internal.example": ["192.168.1.10"],
    "metadata.example": ["169.254.169.254"],
    "v6private.example": ["fd12:3456::1"],
    "v6public.example": ["2606:4700::6810:84e5"],
    "mapped.example": ["::ffff:127.0.0.1"],
}

HOSTILE = [
    "-uhttps://github.com/a/b",
    "--upload-pack=touch /tmp/pwned",
    "ext::sh -c touch% /tmp/pwned",
    "fd::17",
    "transport::https://github.com/a/b",
    "file:///etc/passwd",
    "/srv/repos/secret.git",
    "./relative",
    "ftp://github.com/a/b",
    "gopher://github.com/a",
    "javascript:alert(1)",
    "https://github.com/a b",
    "https://github.com/a\nb",
    " https://github.com/a/b",
    "https://127.0.0.1/repo.git",
    "http://localhost/repo.git",
    "http://app.localhost/repo.git",
    "https://[::1]/repo.git",
    "https://[::ffff:127.0.0.1]/repo.git",
    "https://[fe80::1%25eth0]/repo.git",
    "http://0.0.0.0/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://10.1.2.3/repo.git",
    "http://172.16.0.1/repo.git",
    "http://192.168.0.1/repo.git",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "git://[fd00::1]/repo",
    "https://[64:ff9b::a00:1]/repo.git",
    "https://[2002:7f00:1::]/repo.git",
    "ssh://git@internal.example/repo.git",
    "git@internal.example:org/repo.git",
    "https://metadata.example/",
    "https://rebind.example/repo.git",
    "https://v6private.example/repo.git",
    "https://mapped.example/repo.git",
    "https://user@127.0.0.1:443/repo.git",
    "https://github.com:99999/a/b",
    "https://exa mple.com/a",
    "",
]

SAFE = [
    "https://github.com/readthedocs/readthedocs.org",
    "http://github.com/a/b.git",
    "git://github.com/a/b.git",
    "ssh://git@github.com/a/b.git",
    "git@github.com:a/b.git",
    "https://token:secret@github.com/a/b.git",
    "https://v6public.example/repo.git",
    "https://[2606:4700::6810:84e5]/repo.git",
    "https://unresolvable.example/repo.git",  # accepted now, refused at clone time (strict)
]


@pytest.fixture(autouse=True)
def _dns(monkeypatch):
    for name, addresses in DNS.items():
        monkeypatch.setitem(conftest.TEST_DNS, name, addresses)


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_are_refused(app, url):
    assert check_repository_url(url) is not None, url


@pytest.mark.parametrize("url", SAFE)
def test_public_urls_pass(app, url):
    assert check_repository_url(url) is None, url


def test_clone_time_check_is_strict_about_resolution(app, monkeypatch):
    assert check_repository_url("https://unresolvable.example/r", strict=True)
    monkeypatch.setitem(conftest.TEST_DNS, "flip.example", ["93.184.216.34"])
    assert check_repository_url("https://flip.example/r", strict=True) is None
    monkeypatch.setitem(conftest.TEST_DNS, "flip.example", ["127.0.0.1"])  # DNS rebinding after import
    assert check_repository_url("https://flip.example/r", strict=True)


def test_local_setting_allows_loopback_and_paths_only_below_roots(app, tmp_path):
    rules = RepositoryRules(private_hosts=True, local_roots=(str(tmp_path),))
    for url in (str(tmp_path / "repo"), f"file://{tmp_path}/repo", "http://localhost/r", "https://127.0.0.1/r"):
        assert check_repository_url(url, rules) is None, url
    for url in ("ext::sh -c id", "-oProxyCommand=id", "ftp://github.com/a", "/srv/repo", "file:///srv/repo",
                "./repo", "http://169.254.169.254/", "https://[fe80::1]/r"):
        assert check_repository_url(url, rules) is not None, url


def test_outgoing_urls_use_the_same_rules(app):
    assert check_outgoing_url("https://github.com/hook") is None
    for url in (
        "http://127.0.0.1:6379/",
        "https://internal.example/",
        "ftp://github.com/",
        "https://nope.example/",
    ):
        assert check_outgoing_url(url) is not None, url


@pytest.mark.parametrize(
    "url", ["https://internal.example/r.git", "ext::sh -c id", "file:///etc", "http://[::1]/"]
)
def test_api_refuses_hostile_repository_urls(client, headers, strict_urls, url):
    body = {"name": "Evil", "repository": {"url": url}}
    error = assert_error(
        client.post("/api/v3/projects/", json=body, headers=headers), 400, "invalid_repository_url"
    )
    assert error["errors"]["repository"]["url"]
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_api_checks_repository_url_updates(client, user, headers, strict_urls):
    factories.ProjectFactory(name="Pip", maintainers=[user])
    patch = {"repository": {"url": "http://169.254.169.254/"}}
    assert_error(
        client.patch("/api/v3/projects/pip/", json=patch, headers=headers), 400, "invalid_repository_url"
    )
    assert db.session.scalar(select(Project.repository_url)) == "https://git.example.com/pip.git"
    ok = {"repository": {"url": "https://github.com/pypa/pip"}}
    assert client.patch("/api/v3/projects/pip/", json=ok, headers=headers).status_code == 204
