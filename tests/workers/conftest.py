"""Build-engine fixtures: real git repositories made on disk, in-process and subprocess RQ workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from rq import SimpleWorker

from app.extensions import BUILDS_QUEUE, DEFAULT_QUEUE, db, get_queue, get_redis
from app.models import Build

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Docshelf Tests", "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Docshelf Tests", "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
}

SPHINX_CONF = 'project = "Fixture"\nauthor = "Docshelf"\ncopyright = "2026, Docshelf"\nversion = "1.0"\n'


class Repo:
    """A git repository the test owns: write files, commit, branch, tag."""

    def __init__(self, path: Path, branch: str = "main") -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--initial-branch", branch)

    @property
    def url(self) -> str:
        return str(self.path)

    def git(self, *args: str) -> str:
        env = dict(GIT_ENV, HOME=str(self.path))
        return subprocess.run(["git", *args], cwd=self.path, env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    def commit(self, files: dict[str, str], message: str = "change") -> str:
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.git("add", "--all")
        self.git("commit", "--quiet", "-m", message)
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("checkout", "--quiet", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "--quiet", name)

    def tag(self, name: str, ref: str = "HEAD") -> str:
        self.git("tag", "-a", name, "-m", f"release {name}", ref)
        return self.git("rev-parse", f"{name}^{{commit}}")

    def sha(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)


def sphinx_files(title: str, extra: str = "") -> dict[str, str]:
    return {"docs/conf.py": SPHINX_CONF + extra,
            "docs/index.rst": f"{title}\n{'=' * len(title)}\n\nWelcome to {title}.\n"}


@pytest.fixture(scope="session")
def sphinx_repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """main (two commits), dev, and tags 1.0 (on main's first commit) and 2.0rc1 (a prerelease)."""
    repo = Repo(tmp_path_factory.mktemp("repos") / "sphinx")
    repo.commit(sphinx_files("Release one"), "first")
    repo.tag("1.0")
    repo.commit(sphinx_files("Main branch"), "second")
    repo.tag("2.0rc1")
    repo.branch("dev")
    repo.commit(sphinx_files("Dev branch"), "dev work")
    repo.checkout("main")
    return repo


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Repo]:
    """A fresh repository per call, for tests that change it."""
    counter = iter(range(1000))

    def make(files: dict[str, str] | None = None, name: str | None = None) -> Repo:
        repo = Repo(tmp_path / (name or f"repo{next(counter)}"))
        repo.commit(files or sphinx_files("Main branch"), "first")
        return repo

    return make


class BurstWorker(SimpleWorker):
    """RQ's SimpleWorker without its command channel, for burst runs inside a test.

    The channel (stop/kill commands sent to a running worker) has nothing to do in a burst run, and
    its teardown can wait out redis-py's 60 s pub/sub timeout when the unsubscribe reply races the
    thread's stop (seen as single tests taking 62 s).
    """

    def subscribe(self) -> None:
        self.pubsub_thread = None


def work() -> None:
    """Run every queued job in this process (RQ's SimpleWorker in burst mode)."""
    queues = [get_queue(BUILDS_QUEUE), get_queue(DEFAULT_QUEUE)]
    BurstWorker(queues, connection=get_redis()).work(burst=True)


def fresh(build_id: int) -> Build:
    """The build as the database has it now (the test's session may hold an older snapshot)."""
    db.session.rollback()
    db.session.expire_all()
    build = db.session.get(Build, build_id)
    assert build is not None
    return build


def wait_for(predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def session_pids(sid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # stat fields after the name: state, ppid, pgrp, session
            pids.append(int(entry))
    return pids


def processes_with(token: str) -> list[int]:
    """Host pids of live processes whose command line holds ``token``.

    A sandboxed build's processes have pids of their own PID namespace, so a build cannot tell the
    host its pids; tests mark its commands with a token instead (``exec -a name-<token>`` in bash).
    """
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if token.encode() in fh.read() and pid_alive(int(entry)):
                        found.append(int(entry))
            except OSError:
                continue
    return found


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0); it is dead for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def worker_process(app: Flask, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start real ``docshelf worker`` processes on the test's database, Redis and data directory."""
    started: list[subprocess.Popen[bytes]] = []
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(tmp_path),
        "DOCSHELF_DATABASE_URL": app.config["DATABASE_URL"], "DOCSHELF_REDIS_URL": app.config["REDIS_URL"],
        "DOCSHELF_DATA_DIR": app.config["DATA_DIR"], "DOCSHELF_STORAGE_DIR": app.config["STORAGE_DIR"],
        "DOCSHELF_SECRET_KEY": app.config["SECRET_KEY"], "DOCSHELF_ALLOW_LOCAL_REPOSITORIES": "1",
        "DOCSHELF_LOCAL_REPOSITORY_ROOTS": app.config["LOCAL_REPOSITORY_ROOTS"],
        "DOCSHELF_LOG_LEVEL": "WARNING",
    }
    docshelf = os.path.join(os.path.dirname(sys.executable), "docshelf")

    def start(*args: str) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"worker{len(started)}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([docshelf, "worker", *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        for pid in session_pids(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
