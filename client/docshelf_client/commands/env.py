"""``docshelf env list|set|unset``: a project's build environment variables.

The API has no update: ``set`` replaces an existing variable of the same name (delete, then create), which
is what a person setting a value means.
"""

from __future__ import annotations

from typing import Any

import click

from docshelf_client.output import Ctx, client_command, fail


@click.group("env")
def env() -> None:
    """Build environment variables of a project: list, set, unset."""


def _variables(ctx: Ctx, project: str) -> list[dict[str, Any]]:
    return list(ctx.client.paginate(f"/api/v3/projects/{project}/environmentvariables/"))


@env.command("list")
@click.argument("project")
@client_command
def env_list(ctx: Ctx, project: str) -> None:
    """List variable names (values are never shown back)."""
    items = _variables(ctx, project)
    ctx.emit(
        items,
        lambda: ctx.table(
            ["NAME", "PUBLIC"], [(v["name"], "yes" if v.get("public") else "no") for v in items]
        ),
    )


@env.command("set")
@click.argument("project")
@click.argument("name")
@click.argument("value")
@click.option("--public", is_flag=True, help="Also expose it to pull-request builds.")
@client_command
def env_set(ctx: Ctx, project: str, name: str, value: str, public: bool) -> None:
    """Create or replace a variable."""
    base = f"/api/v3/projects/{project}/environmentvariables/"
    for existing in _variables(ctx, project):
        if existing["name"] == name:
            ctx.client.request("DELETE", f"{base}{existing['pk']}/")
    data = ctx.client.request("POST", base, {"name": name, "value": value, "public": public})
    ctx.emit(data, lambda: ctx.out.print(f"Set {name} on {project}."))


@env.command("unset")
@click.argument("project")
@click.argument("name")
@client_command
def env_unset(ctx: Ctx, project: str, name: str) -> None:
    """Delete a variable."""
    base = f"/api/v3/projects/{project}/environmentvariables/"
    matches = [v for v in _variables(ctx, project) if v["name"] == name]
    if not matches:
        fail(f"No variable {name} on {project}.", kind="not_found")
    for existing in matches:
        ctx.client.request("DELETE", f"{base}{existing['pk']}/")
    ctx.emit({"deleted": name}, lambda: ctx.out.print(f"Unset {name} on {project}."))
