"""Repository credentials for git's own fetches in the worker, and nowhere else.

The secret never goes into a URL, a command line or a file git keeps: a token reaches git through a
credential helper (a script in a private temporary directory that prints it from this process's
environment), configured by ``GIT_CONFIG_*`` environment variables for the repository's origin only, so
git asks for it only when that origin answers 401 and never hands it to another host (a submodule's, a
redirect's). An SSH key is written mode 0600 into the same private directory and named by an ssh config
that offers it to the repository's host only. The directory is removed when the block ends (and, should
the process be killed first, by the next clone on the machine); everything here runs before the build's
sandbox is entered, and the build's environment is composed from scratch (``Pipeline.compose_env``), so
neither the variables nor the files reach it.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from app.models import Project
from app.safety import url_credentials
from app.safety.local_repositories import RepositoryRules
from app.services import repositories
from app.services.build_health import pid_alive
from app.services.repositories import RepositoryCredentials, fit_problem
from workers.recorder import BuildFailed

#: The ssh client git runs (tests put a checking stand-in here: there is no sshd to test against).
SSH = "ssh"
#: Private directories are named after the process that made them, so leftovers of a dead one are found.
PREFIX = "docshelf-git-auth-"
SSH_OPTIONS = "-o BatchMode=yes -o StrictHostKeyChecking=accept-new"

HELPER = '''import os, sys
# git credential helper (Docshelf): answers "get" for one origin, from the environment git runs in.
if sys.argv[1:] != ["get"]:
    sys.exit(0)
asked = dict(line.partition("=")[::2] for line in sys.stdin.read().splitlines() if "=" in line)
want = os.environ.get("DOCSHELF_CLONE_ORIGIN", "")
if want != asked.get("protocol", "") + "://" + asked.get("host", ""):
    sys.exit(0)
sys.stdout.write("username=" + os.environ["DOCSHELF_CLONE_USERNAME"] + "\\n")
sys.stdout.write("password=" + os.environ["DOCSHELF_CLONE_PASSWORD"] + "\\n")
'''


def _git_config(pairs: list[tuple[str, str]]) -> dict[str, str]:
    env = {"GIT_CONFIG_COUNT": str(len(pairs))}
    for index, (key, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def _write_private(path: str, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _token_env(creds: RepositoryCredentials, origin: str, private: str) -> dict[str, str]:
    helper = os.path.join(private, "credential-helper.py")
    _write_private(helper, HELPER, 0o600)
    command = f"!{shlex.quote(sys.executable)} -I -S {shlex.quote(helper)}"
    env = _git_config([("credential.helper", ""), (f"credential.{origin}.helper", command)])
    env.update(DOCSHELF_CLONE_ORIGIN=origin, DOCSHELF_CLONE_USERNAME=creds.login,
               DOCSHELF_CLONE_PASSWORD=creds.secret)
    return env


def _ssh_env(creds: RepositoryCredentials, url: str, private: str) -> dict[str, str]:
    key = os.path.join(private, "deploy-key")
    _write_private(key, creds.secret, 0o600)
    host = url_credentials.host_of(url)
    config = os.path.join(private, "ssh_config")
    # First match wins in ssh_config: the key for the repository's host, nothing for any other.
    _write_private(config, f"Host {host}\n  IdentityFile {key}\n  IdentitiesOnly yes\n"
                           "Host *\n  IdentitiesOnly yes\n  IdentityAgent none\n", 0o600)
    return {"GIT_SSH_COMMAND": f"{SSH} -F {shlex.quote(config)} {SSH_OPTIONS}", "GIT_SSH_VARIANT": "ssh"}


def remove_stale() -> None:
    """Remove private directories (a key, maybe) left by a process killed mid-clone."""
    for path in glob.glob(os.path.join(tempfile.gettempdir(), PREFIX + "*")):
        pid = os.path.basename(path)[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def credentials_env(creds: RepositoryCredentials | None, url: str, rules: RepositoryRules,
                    ) -> Iterator[dict[str, str]]:
    """Variables to add to git's environment for fetching ``url`` with ``creds``; {} without them.

    Refuses (BuildFailed) credentials that do not fit the URL: a token only over https (http where
    private hosts are allowed), a key only over ssh, so a changed setting cannot send a token in clear.
    """
    if creds is None:
        yield {}
        return
    origin = url_credentials.origin(url)
    problem = fit_problem(url, creds.kind, rules) if origin else "Local repositories take no credentials."
    if problem:
        raise BuildFailed(f"The repository credentials were not used: {problem}")
    assert origin is not None
    remove_stale()
    private = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")  # 0700
    try:
        yield _token_env(creds, origin, private) if creds.kind == "token" else _ssh_env(creds, url, private)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def for_project(project: Project) -> tuple[str, RepositoryCredentials | None]:
    """:func:`split_url` for the project's URL and stored credentials (BuildFailed when unreadable)."""
    try:
        stored = repositories.load(project)
    except ValueError as exc:
        raise BuildFailed(f"The project's {exc}.") from exc
    return split_url(project.repository_url, stored)


def split_url(url: str, stored: RepositoryCredentials | None) -> tuple[str, RepositoryCredentials | None]:
    """The URL git is given (no password in it) and the credentials to use: the stored ones, else a
    token still written in an old URL (never put in a command line or a config file)."""
    clean, username, password = url_credentials.split(url)
    if stored is None and password is not None:
        stored = RepositoryCredentials("token", password, username)
    return clean, stored
