"""gunicorn settings for ``docshelf up`` (``-c python:app.gunicorn_conf``); usable in any deployment.

Names gunicorn does not know are ignored by older versions, so one file serves every supported one.
"""

from __future__ import annotations

from typing import Any

from app.security.process import make_undumpable

#: gunicorn >= 25 opens a control socket (``$XDG_RUNTIME_DIR`` or ``~/.gunicorn/gunicorn.ctl``) that
#: can resize or reload the server; Docshelf never uses it, and whatever runs as the same user could.
control_socket_disable = True


def on_starting(server: Any) -> None:
    """The master holds the same secrets as its workers, which inherit the flag through fork.

    It also checks for the database and Redis before forking any worker (app/preflight.py), so a
    missing one stops gunicorn with one paragraph instead of a traceback from each worker.
    """
    make_undumpable()
    from app.config import ConfigurationError
    from app.preflight import require_services

    try:
        require_services()
    except ConfigurationError as exc:
        raise SystemExit(f"Error: {exc}") from None
