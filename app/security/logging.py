"""Every log record carries the request id (``%(request_id)s``), so a log line can be matched to the
``X-Request-ID`` a client reports and to the ``request_id`` of its error body."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import g, has_app_context

from app.context import current_request, request_globals

_installed = False


def install_record_factory() -> None:
    """Wrap the global record factory once; outside a request the field is ``-``."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = (g.get("request_id") if has_app_context() else None) or "-"
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def assign_request_id() -> str:
    """This request's id: the client's ``X-Request-ID`` when well formed, else a new one (on ``g``)."""
    # From the WSGI environ: werkzeug's headers raise and catch a KeyError for an absent header.
    incoming = current_request().environ.get("HTTP_X_REQUEST_ID", "")
    request_id = request_globals().request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return request_id
