"""Shared plumbing for client commands: common options, error handling, JSON and table output.

Every command takes ``--json`` (machine-readable output for scripts and CI) and ``--profile``/``--url``;
every API error is printed from the error contract's ``detail`` with exit code 1.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

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


def fail(message: str, code: int = 1) -> None:
    """Exit with a message on stderr (plain, so scripts can grep it)."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def client_command(func: F) -> F:
    """Add the shared options and turn :class:`ApiError` into ``Error: <detail>`` and exit 1."""

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
            fail(exc.detail)

    return wrapper  # type: ignore[return-value]
