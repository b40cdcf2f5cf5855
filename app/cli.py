"""The ``docshelf`` command on a server: Docshelf's commands, the migrations (``db``) and the client.

A plain click group, not Flask's ``FlaskGroup``: ``--help`` lists Docshelf's commands only (not
Flask's ``run``/``routes``/``shell`` nor its ``--app`` option) and loads no app to list them.
Commands that need the app get it through Flask's documented ``with_appcontext`` and ``ScriptInfo``
from :func:`load_app`, which first makes sure the database and Redis are there (app/preflight.py).

The ``docshelf`` script itself belongs to the client distribution, which runs this group through the
``docshelf.cli`` entry point. ``worker`` comes from ``workers.cli`` through the ``docshelf.commands``
entry point, so this web-tier module never imports the build tier.
"""

from __future__ import annotations

from app.security.process import make_undumpable

make_undumpable()  # first thing every ``docshelf`` process does: its environment holds the secrets

from importlib.metadata import entry_points  # noqa: E402 - after the line above, on purpose

import click  # noqa: E402
from docshelf_client import CLIENT_COMMANDS  # noqa: E402
from flask import Flask  # noqa: E402
from flask.cli import ScriptInfo, with_appcontext  # noqa: E402
from flask_migrate.cli import db as migrations  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config, ConfigurationError, settings_table  # noqa: E402
from app.errors import DocshelfError  # noqa: E402

#: Commands that run without an existing database or Redis: the migrations create the database.
WITHOUT_SERVICES = {migrations.name}
COMMANDS_ENTRY_POINT_GROUP = "docshelf.commands"
CLIENT_SECTION = "Client commands (any Docshelf server, over its API)"
SERVER_SECTION = "Server admin commands (on the server itself)"


def load_app() -> Flask:
    """The app for a command, after checking what it needs; a missing service ends the command with
    its one-paragraph explanation (``Error: ...``, exit status 1) before anything is created."""
    from app import preflight

    config = Config.from_env()
    if _top_command() not in WITHOUT_SERVICES:
        try:
            preflight.require_services(config)
        except ConfigurationError as exc:
            raise click.ClickException(str(exc)) from exc
    return create_app(config)


def _top_command() -> str | None:
    """The name of the subcommand of ``docshelf`` that is running (``db`` for ``docshelf db upgrade``)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None and ctx.parent.parent is not None:
        ctx = ctx.parent
    return ctx.info_name if ctx is not None and ctx.parent is not None else None


class DocshelfGroup(click.Group):
    """Adds the commands registered under ``docshelf.commands`` when first asked for (click's lazy
    subcommand pattern), so that ``docshelf login`` never imports the build tier."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        plugged = (entry_point.name for entry_point in entry_points(group=COMMANDS_ENTRY_POINT_GROUP))
        return sorted({*super().list_commands(ctx), *plugged})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        for entry_point in entry_points(group=COMMANDS_ENTRY_POINT_GROUP, name=cmd_name):
            command = command or entry_point.load()
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Two sections: the client's commands work against any server from anywhere, the server's
        only on the server itself (its database and Redis), and a reader should not have to guess."""
        client_names = {command.name for command in CLIENT_COMMANDS}
        sections: dict[str, list[tuple[str, click.Command]]] = {CLIENT_SECTION: [], SERVER_SECTION: []}
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                sections[CLIENT_SECTION if name in client_names else SERVER_SECTION].append((name, command))
        width = max((len(name) for rows in sections.values() for name, _ in rows), default=0)
        limit = formatter.width - 6 - width
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    # one first-column width for both sections, so they read as one table
                    formatter.write_dl(
                        [(name.ljust(width), command.get_short_help_str(limit)) for name, command in rows]
                    )


@click.group("docshelf", cls=DocshelfGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Docshelf: documentation builds and hosting behind a Read the Docs v3-style API."""
    ctx.obj = ScriptInfo(create_app=load_app, set_debug_flag=False)


main.add_command(migrations)


@main.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.argument("username")
@click.option("--email", default=None)
@click.option("--role", type=click.Choice(["admin", "user", "viewer"]), default="user", show_default=True)
@with_appcontext
def users_create(username: str, email: str | None, role: str) -> None:
    """Create a user."""
    from app.services.accounts import create_user

    try:
        user = create_user(username, email=email, role=role)
    except DocshelfError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"created user {user.username} ({user.role})")


@main.group()
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True)
@click.option("--scope", "scopes", multiple=True, help="Repeat for several; none means full access.")
@click.option("--expires-days", type=click.IntRange(min=1), default=None, help="Default: never expires.")
@with_appcontext
def tokens_create(username: str, name: str, scopes: tuple[str, ...], expires_days: int | None) -> None:
    """Create an API token for a user and print it (it is shown only once)."""
    from datetime import timedelta

    from app.models.base import utcnow
    from app.services.accounts import create_token, get_user

    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    try:
        _token, key = create_token(get_user(username), name, scopes=list(scopes) or None, expires=expires)
    except DocshelfError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(key)


@users.command("set-password")
@click.argument("username")
@click.password_option(help="Prompted for (twice) when not given.")
@with_appcontext
def users_set_password(username: str, password: str) -> None:
    """Set a user's password for the login page (ends the user's browser sessions)."""
    from app.services.accounts import get_user, set_password

    try:
        set_password(get_user(username), password)
    except DocshelfError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"password set for {username}")


@users.command("end-sessions")
@click.argument("username")
@with_appcontext
def users_end_sessions(username: str) -> None:
    """Log a user out everywhere: end every browser session of the user at once (tokens stay)."""
    from app.services.accounts import end_sessions, get_user

    try:
        ended = end_sessions(get_user(username))
    except DocshelfError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"ended {ended} session(s) of {username}")


@main.command("ensure-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print {username, created, token} (for docshelf up).")
@with_appcontext
def ensure_admin(username: str, as_json: bool) -> None:
    """Create the admin and print its token, once (for `make run`)."""
    import json

    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.services.accounts import create_token, create_user

    key = None
    if db.session.scalar(select(User.id).where(User.username == username)) is None:
        user = create_user(username, role="admin")
        _token, key = create_token(user, "make run")
    if as_json:
        click.echo(json.dumps({"username": username, "created": key is not None, "token": key}))
    elif key is None:
        click.echo(
            f"admin user {username!r} exists; create a new token with: docshelf tokens create {username}"
        )
    else:
        click.echo(f"created admin user {username!r}; API token (shown once): {key}")


from app.dev import up  # noqa: E402

main.add_command(up)

from app.hosting import web  # noqa: E402

main.add_command(web)


@main.command("settings")
def settings() -> None:
    """Print the table of DOCSHELF_* settings."""
    click.echo(settings_table())


for _command in CLIENT_COMMANDS:
    main.add_command(_command)
