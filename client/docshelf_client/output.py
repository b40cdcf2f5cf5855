"""Shared plumbing for client commands: common options, error handling, JSON and table output.

Every command takes ``--json`` (machine-readable output for scripts and CI) and ``--profile``/``--url``.
An error is ``Error: <detail>`` on stderr, or under ``--json`` the error contract's body as one JSON
line on stderr (what the server answered, or a body of the same shape for an error found by the
client itself), so a script reads the ``code`` instead of parsing prose; the exit code is the same.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.table import Table

from docshelf_client.config import Profile, resolve_profile
from docshelf_client.http import ApiError, Client

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Ctx:
    """What a command body gets: the API client, the output mode and consoles."""

    client: Client
    profile: Profile
    json: bool
    out: Console
    err: Console

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        """JSON when asked for, otherwise the human rendering."""
        if self.json:
            click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
        else:
            human()

    def table(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        table = Table(*columns, box=None, pad_edge=False, header_style="bold")
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.out.print(table)


class CommandError(click.ClickException):
    """An error the client found itself (a bad file, a missing format): ``Error: <message>``, or
    under ``--json`` a problem body whose ``code`` says what kind it is."""

    def __init__(self, message: str, status: int = 1, code: str = "client_error") -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    @property  # click reads the exit status from this attribute
    def exit_code(self) -> int:  # type: ignore[override]
        return self.status


def fail(message: str, code: int = 1, kind: str = "client_error") -> NoReturn:
    """Stop the command with ``message`` (exit status ``code``); ``kind`` is the JSON body's ``code``."""
    raise CommandError(message, code, kind)


def problem_body(status: int | None, detail: str, code: str, retryable: bool = False) -> dict[str, Any]:
    """The error contract's shape (app/problems.py) for an error that has no body from the server."""
    return {
        "type": f"urn:docshelf:error:{code}",
        "title": "Client error" if status is None else f"HTTP {status}",
        "status": status,
        "detail": detail,
        "code": code,
        "retryable": retryable,
        "errors": {},
    }


def error_body(exc: ApiError) -> dict[str, Any]:
    """What the server said, as it said it; a contract-shaped body when it said no JSON (a proxy's
    HTML page) or nothing at all (unreachable)."""
    if isinstance(exc.body, dict) and exc.body.get("detail"):
        return exc.body
    if exc.status == 0:
        return problem_body(None, exc.detail, "unreachable", retryable=True)
    return problem_body(exc.status, exc.detail, "http_error", retryable=exc.status >= 500)


def _report(as_json: bool, body: dict[str, Any], exit_code: int) -> NoReturn:
    if as_json:
        click.echo(json.dumps(body, sort_keys=True, default=str), err=True)
    else:
        click.echo(f"Error: {body['detail']}", err=True)
    sys.exit(exit_code)


def client_command(func: F) -> F:
    """Add the shared options; an :class:`ApiError` ends the command with exit 1 and a
    :class:`CommandError` with its own status, each reported as the module docstring says."""

    @click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
    @click.option("--profile", default=None, help="Profile from the client config (env DOCSHELF_PROFILE).")
    @click.option("--url", default=None, help="Server URL, overriding the profile (env DOCSHELF_URL).")
    @functools.wraps(func)
    def wrapper(*args: Any, as_json: bool, profile: str | None, url: str | None, **kwargs: Any) -> Any:
        resolved = resolve_profile(profile, url)
        ctx = Ctx(
            client=Client(resolved),
            profile=resolved,
            json=as_json,
            out=Console(highlight=False, soft_wrap=True),
            err=Console(stderr=True, highlight=False, soft_wrap=True),
        )
        try:
            return func(ctx, *args, **kwargs)
        except ApiError as exc:
            _report(as_json, error_body(exc), 1)
        except CommandError as exc:
            _report(as_json, problem_body(None, exc.message, exc.code), exc.status)

    return wrapper  # type: ignore[return-value]
