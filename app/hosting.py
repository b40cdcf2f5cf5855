"""``docshelf web``: a web host's one process tree (gunicorn serving the API, the app and the docs).

Where ``docshelf up`` runs everything of one machine (and may start the embedded services), a web
host behind a load balancer runs only this, and a build host only ``docshelf worker``; both find the
database, Redis and the storage through their settings, and with ``DOCSHELF_HOSTS`` above 1 refuse
to start on anything only one machine could see (:func:`app.preflight.require_shared_services`).
"""

from __future__ import annotations

import os
import shutil
import sys

import click

from app.config import Config, ConfigurationError


def gunicorn_command(config: Config, binds: tuple[str, ...] = (), workers: int | None = None) -> list[str]:
    """gunicorn's command line for this host's settings (options given win over them)."""
    bindir = os.path.dirname(sys.executable)
    gunicorn = shutil.which("gunicorn", path=bindir) or shutil.which("gunicorn") or "gunicorn"
    addresses = binds or tuple(a.strip() for a in str(config["WEB_BIND"]).split(",") if a.strip())
    args = [gunicorn, "--config", "python:app.gunicorn_conf"]
    for address in addresses:
        args += ["--bind", address]
    args += ["--workers", str(workers or config["WEB_WORKERS"]), "--access-logfile", "-", "app.wsgi:app"]
    return args


@click.command("web")
@click.option("--bind", "binds", multiple=True,
              help="Address to listen on (repeat); default: DOCSHELF_WEB_BIND.")
@click.option("--workers", type=click.IntRange(1), default=None, help="Default: DOCSHELF_WEB_WORKERS.")
def web(binds: tuple[str, ...], workers: int | None) -> None:
    """Run this host's web processes (gunicorn): the API, the app and the docs, on shared services."""
    from app.preflight import require_services

    config = Config.from_env()
    try:
        require_services(config)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    args = gunicorn_command(config, binds, workers)
    sys.stdout.flush()
    os.execv(args[0], args)  # gunicorn becomes this process: signals and exit status are its own
