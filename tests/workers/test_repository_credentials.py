"""Issue 13: private repositories cloned with write-only credentials, which never reach the build.

A real git smart-HTTP server on 127.0.0.1 wants the token (Basic auth); the build clones with it and
fails without it. Nothing the build can read (its environment, its checkout's .git/config, its files)
nor anything Docshelf keeps (the log, the cache, the data directory) holds the token afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from app.extensions import db
from app.models import BuildCommand, Project
from app.safety.local_repositories import RepositoryRules
from app.services import repositories
from tests import factories
from tests.workers.conftest import GIT_ENV, Repo, fresh, sphinx_files, work
from tests.workers.git_http import git_http_server
from tests.workers.test_end_to_end import read, site, trigger

TOKEN = "ghp_" + "S3cr3tT0kenForTheTest" * 2
SPY = """version: 2
build:
  commands:
    - mkdir -p $READTHEDOCS_OUTPUT/html
    - env > $READTHEDOCS_OUTPUT/html/env.txt
    - cat .git/config > $READTHEDOCS_OUTPUT/html/gitconfig.txt
    - git config --list --show-origin > $READTHEDOCS_OUTPUT/html/gitconfig-list.txt 2>&1 || true
    - ls -la /tmp $TMPDIR > $READTHEDOCS_OUTPUT/html/tmp.txt 2>&1 || true
    - echo "<h1>Private docs</h1>" > $READTHEDOCS_OUTPUT/html/index.html
"""


@pytest.fixture
def served(tmp_path: Path):
    """A bare ``private.git`` (a spying build.commands project) behind Basic auth reader:TOKEN."""
    source = Repo(tmp_path / "source")
    source.commit({".readthedocs.yaml": SPY, **sphinx_files("Private")})
    root = tmp_path / "served"
    root.mkdir()
    subprocess.run(["git", "clone", "--quiet", "--bare", "--", source.url, str(root / "private.git")],
                   check=True, env=GIT_ENV)
    with git_http_server(root, "reader", TOKEN) as server:
        yield server


def _log(build_id: int) -> str:
    rows = db.session.query(BuildCommand).filter_by(build_id=build_id).all()
    return "\n".join(f"{c.command}\n{c.output}" for c in rows)


def _files_containing(top: str, needle: bytes) -> list[str]:
    found = []
    for dirpath, _dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as fh:
                    if needle in fh.read():
                        found.append(path)
            except OSError:
                continue
    return found


def _auth_dirs() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "docshelf-git-auth-*")))


def test_private_repository_builds_with_the_token_and_the_build_never_sees_it(
        app, client, user, headers, served, monkeypatch):
    argvs: list[str] = []
    real_run = subprocess.run

    def spying_run(args, *a, **kw):  # every git the worker starts: the token is never an argument
        argvs.append(" ".join(map(str, args)) if isinstance(args, list | tuple) else str(args))
        return real_run(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", spying_run)
    import workers.recorder

    real_command = workers.recorder.run_command

    def spying_command(argv, **kw):
        argvs.append(" ".join(argv))
        return real_command(argv, **kw)

    monkeypatch.setattr(workers.recorder, "run_command", spying_command)
    before = _auth_dirs()
    factories.ProjectFactory(name="Secret", repository_url=served.url("private.git"), maintainers=[user])
    body = {"repository": {"credentials": {"token": TOKEN, "username": "reader"}}}
    assert client.patch("/api/v3/projects/secret/", json=body, headers=headers).status_code == 204

    build_id = trigger(client, headers, "secret", "latest")
    work()
    build = fresh(build_id)
    assert (build.success, build.error) == (True, None), _log(build_id)
    assert served.expected in served.seen_auth and served.served > 0
    assert "Private docs" in read(site(app, "secret", "latest", "html", "index.html"))

    # What the build could see: its environment, its .git/config, git's whole configuration, /tmp.
    published = site(app, "secret", "latest", "html")
    for name in ("env.txt", "gitconfig.txt", "gitconfig-list.txt", "tmp.txt"):
        text = read(os.path.join(published, name))
        assert TOKEN not in text and "DOCSHELF_CLONE" not in text and "GIT_CONFIG_KEY" not in text, name
        assert "credential" not in text and "deploy-key" not in text, name
    assert f"url = {served.url('private.git')}" in read(os.path.join(published, "gitconfig.txt"))
    assert "reader" not in read(os.path.join(published, "gitconfig.txt"))

    # What Docshelf keeps: the log, the cache, the data directory; no command line carried it.
    assert TOKEN not in _log(build_id)
    assert _files_containing(app.config["DATA_DIR"], TOKEN.encode()) == []
    assert not any(TOKEN in a for a in argvs) and any("clone" in a for a in argvs)
    assert _auth_dirs() == before  # the helper's private directory is gone
    project = db.session.query(Project).filter_by(slug="secret").one()
    assert TOKEN not in project.repository_url and TOKEN not in str(project.repository_credentials_encrypted)


def test_without_the_token_or_with_a_wrong_one_the_clone_fails(client, user, headers, served):
    factories.ProjectFactory(name="Locked", repository_url=served.url("private.git"), maintainers=[user])
    build_id = trigger(client, headers, "locked", "latest")
    work()
    build = fresh(build_id)
    assert build.success is False and build.error.startswith("Cloning failed (exit code 128): fatal: ")
    assert served.served == 0 and set(served.seen_auth) == {None}

    wrong = {"repository": {"credentials": {"token": "ghp_wrong", "username": "reader"}}}
    assert client.patch("/api/v3/projects/locked/", json=wrong, headers=headers).status_code == 204
    build_id = trigger(client, headers, "locked", "latest")
    work()
    assert fresh(build_id).success is False and served.served == 0


def test_a_token_in_an_old_url_is_used_but_never_shown(app, client, user, headers, served):
    """A URL stored before the credentials field: git gets the token from the helper, not the URL."""
    url = served.url("private.git").replace("http://", f"http://reader:{TOKEN}@")
    factories.ProjectFactory(name="Legacy", repository_url=url, maintainers=[user])
    shown = client.get("/api/v3/projects/legacy/", headers=headers)
    assert TOKEN not in shown.get_data(as_text=True)
    assert shown.json["repository"]["url"] == served.url("private.git").replace("http://", "http://***@")
    versions = client.get("/api/v3/projects/legacy/versions/", headers=headers).get_data(as_text=True)
    assert TOKEN not in versions and "reader" not in versions
    build_id = trigger(client, headers, "legacy", "latest")
    work()
    assert fresh(build_id).success is True, _log(build_id)
    assert TOKEN not in _log(build_id)
    assert _files_containing(app.config["DATA_DIR"], TOKEN.encode()) == []


def test_a_failed_sync_tells_the_maintainer_without_the_token(client, user, headers, served):
    url = served.url("missing.git").replace("http://", f"http://reader:{TOKEN}@")
    factories.ProjectFactory(name="Gone", repository_url=url, maintainers=[user])
    assert client.post("/api/v3/projects/gone/sync-versions/", headers=headers).status_code == 202
    work()
    listed = client.get("/api/v3/projects/gone/notifications/", headers=headers)
    assert listed.json["count"] == 1 and TOKEN not in listed.get_data(as_text=True)


# -- SSH deploy keys: no sshd here, so a stand-in ssh checks what git hands it and serves the repository --

FAKE_SSH = r'''#!{python}
import os, stat, subprocess, sys
args = sys.argv[1:]
config = args[args.index("-F") + 1]
command, host = args[-1], args[-2].split("@")[-1]
effective = subprocess.run(["ssh", "-F", config, "-G", host], capture_output=True, text=True).stdout
keys = [line.split(" ", 1)[1] for line in effective.splitlines() if line.startswith("identityfile ")]
key = os.path.expanduser(keys[0])
mode = stat.S_IMODE(os.stat(key).st_mode)
with open(key) as fh:
    ok = fh.read() == open({expected!r}).read() and mode == 0o600 and len(keys) == 1
with open({report!r}, "a") as fh:
    fh.write(f"{{host}} {{key}} {{oct(mode)}} {{ok}}\n")
if not ok:
    sys.exit("permission denied (publickey)")
verb, path = command.split(" ", 1)
os.execvp("git", ["git", verb.replace("git-", ""), {root!r} + path.strip("'")])
'''


def _keypair(tmp_path: Path, passphrase: str = "") -> str:
    path = tmp_path / f"key{len(passphrase)}"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "docshelf", "-f", str(path)],
                   check=True)
    return str(path)


def test_an_ssh_deploy_key_is_offered_to_the_repository_host_only_and_removed(
        app, client, user, headers, tmp_path, monkeypatch):
    from tests.conftest import TEST_DNS
    from workers import git_auth

    monkeypatch.setitem(TEST_DNS, "git.internal.test", ["127.0.0.1"])
    source = Repo(tmp_path / "source")
    source.commit({".readthedocs.yaml": SPY})
    root = tmp_path / "ssh-root"
    (root / "org").mkdir(parents=True)
    subprocess.run(["git", "clone", "--quiet", "--bare", "--", source.url, str(root / "org" / "docs.git")],
                   check=True, env=GIT_ENV)
    key = _keypair(tmp_path)
    report = tmp_path / "ssh-report.txt"
    fake = tmp_path / "fake-ssh"
    fake.write_text(FAKE_SSH.format(python=sys.executable, expected=key,
                                    report=str(report), root=str(root)))
    fake.chmod(0o755)
    monkeypatch.setattr(git_auth, "SSH", str(fake))

    factories.ProjectFactory(name="Deploy", repository_url="git@git.internal.test:/org/docs.git",
                             maintainers=[user])
    body = {"repository": {"credentials": {"ssh_key": Path(key).read_text()}}}
    assert client.patch("/api/v3/projects/deploy/", json=body, headers=headers).status_code == 204
    shown = client.get("/api/v3/projects/deploy/", headers=headers).json["repository"]["credentials"]
    assert shown == {"kind": "ssh_key", "set": True}
    before = _auth_dirs()
    build_id = trigger(client, headers, "deploy", "latest")
    work()
    assert fresh(build_id).success is True, _log(build_id)
    lines = report.read_text().splitlines()
    assert lines and all(line.startswith("git.internal.test ") for line in lines)
    assert all(line.endswith(" 0o600 True") for line in lines)
    used = lines[0].split()[1]
    assert not os.path.exists(used) and not os.path.exists(os.path.dirname(used)) and _auth_dirs() == before
    published = site(app, "deploy", "latest", "html")
    secret_line = Path(key).read_text().splitlines()[1]
    for name in ("env.txt", "gitconfig.txt", "gitconfig-list.txt", "tmp.txt"):
        text = read(os.path.join(published, name))
        assert secret_line not in text and "GIT_SSH" not in text and "deploy-key" not in text, name


def test_a_killed_workers_leftover_key_is_removed_by_the_next_clone(tmp_path):
    from workers import git_auth

    dead = subprocess.Popen(["true"])
    dead.wait()
    leftover = Path(tempfile.gettempdir()) / f"{git_auth.PREFIX}{dead.pid}-x"
    leftover.mkdir(mode=0o700)
    (leftover / "deploy-key").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    mine = Path(tempfile.mkdtemp(prefix=f"{git_auth.PREFIX}{os.getpid()}-"))  # a live process's: kept
    try:
        creds = repositories.RepositoryCredentials("token", TOKEN)
        with git_auth.credentials_env(creds, "https://git.example.org/x.git", RepositoryRules()):
            pass
        assert not leftover.exists() and mine.exists()
    finally:
        shutil.rmtree(mine, ignore_errors=True)
        shutil.rmtree(leftover, ignore_errors=True)


def test_the_ssh_config_names_the_key_for_one_host(tmp_path):
    from workers import git_auth

    key = _keypair(tmp_path)
    creds = repositories.RepositoryCredentials("ssh_key", Path(key).read_text())
    with git_auth.credentials_env(creds, "ssh://git@git.example.org:2222/org/docs.git",
                                  RepositoryRules()) as env:
        config = env["GIT_SSH_COMMAND"].split("-F ", 1)[1].split()[0]
        def effective(host: str) -> str:
            return subprocess.run(["ssh", "-F", config, "-G", host], capture_output=True, text=True).stdout

        mine, other = effective("git.example.org"), effective("evil.example.org")
        key_file = next(line[len("identityfile "):] for line in mine.splitlines()
                        if line.startswith("identityfile "))
        assert os.stat(key_file).st_mode & 0o777 == 0o600
        assert os.stat(os.path.dirname(key_file)).st_mode & 0o777 == 0o700
        assert key_file not in other
    assert not os.path.exists(key_file)
