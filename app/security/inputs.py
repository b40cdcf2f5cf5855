"""Hostile input stopped at the door, before any view or service sees it.

JSON that nests too deeply (Python's parser raises RecursionError, not ValueError: a 500 otherwise),
strings with NUL bytes (PostgreSQL refuses them mid-transaction) or lone surrogates (no database
encoding can store them), and path parameters with the same problems or absurd lengths. Each is a
400/404 in the error contract, and nothing reaches the database.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest

from app.context import current_request
from app.errors import NotFound, ValidationError
from app.extensions import db
from app.problems import problem

MAX_DEPTH = 32
MAX_STRING = 100_000  # the longest legitimate value (an environment variable) is 48,000 characters
MAX_PATH_PARAM = 255
MAX_ID = 2**31 - 1  # PostgreSQL's integer; SQLite overflows past 2**63 (a 500 otherwise)
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _bad_text(value: str) -> str | None:
    if "\x00" in value:
        return "NUL characters are not allowed."
    if any("\ud800" <= c <= "\udfff" for c in value):
        return "Unpaired surrogate characters are not allowed."
    return None


def _walk(value: Any) -> str | None:
    """Why this parsed JSON value is refused, or None; iterative so depth cannot exhaust the stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"JSON nested deeper than {MAX_DEPTH} levels."
        if isinstance(item, str):
            if len(item) > MAX_STRING:
                return f"A string is longer than {MAX_STRING} characters."
            problem = _bad_text(item)
            if problem:
                return problem
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = _bad_text(key)
                if problem:
                    return problem
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return None


def check_body(req: Request) -> None:
    if req.method not in _BODY_METHODS or not req.is_json:
        return
    if not req.get_data(cache=True):
        return  # an empty body is the schema's business (missing fields), not a JSON error
    try:
        data = req.get_json(cache=True)
    except RecursionError:
        raise ValidationError(f"JSON nested deeper than {MAX_DEPTH} levels.") from None
    except BadRequest:
        raise ValidationError("The body is not valid JSON.") from None
    problem = _walk(data)
    if problem:
        raise ValidationError(problem)


def check_path(req: Request) -> None:
    for value in (req.view_args or {}).values():
        if isinstance(value, str) and (len(value) > MAX_PATH_PARAM or _bad_text(value)):
            raise NotFound("Not found.")
        if isinstance(value, int) and value > MAX_ID:  # no row can have this id
            raise NotFound("Not found.")


def check_request() -> None:
    """The API pipeline's input guard."""
    # A routing exception (404, 405, the slash 308) means no view runs: leave the body unread, so a
    # client (or the test client) following a 308 can send the same stream again.
    req = current_request()
    if req.routing_exception is not None:
        return
    check_path(req)
    check_body(req)


def data_error(error: DataError) -> Response:
    """A value the database refused (too long for its column, wrong type): the client's error."""
    db.session.rollback()
    return problem(400, "A value is too long or malformed for its field.")


def init_app(app: Flask) -> None:
    app.register_error_handler(DataError, data_error)
