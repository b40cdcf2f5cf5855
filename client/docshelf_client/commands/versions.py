"""``docshelf versions list|sync|activate|deactivate|hide``: the switches maintainers flip most."""

from __future__ import annotations

from typing import Any

import click

from docshelf_client.output import Ctx, client_command


@click.group("versions")
def versions() -> None:
    """Versions of a project: list, sync, (de)activate, hide."""


@versions.command("list")
@click.argument("project")
@client_command
def versions_list(ctx: Ctx, project: str) -> None:
    """List a project's versions."""
    items = list(ctx.client.paginate(f"/api/v3/projects/{project}/versions/"))
    ctx.emit(
        items,
        lambda: ctx.table(
            ["SLUG", "TYPE", "IDENTIFIER", "ACTIVE", "HIDDEN", "BUILT"],
            [
                (
                    v["slug"],
                    v.get("type"),
                    v.get("identifier"),
                    _yes(v.get("active")),
                    _yes(v.get("hidden")),
                    _yes(v.get("built")),
                )
                for v in items
            ],
        ),
    )


@versions.command("sync")
@click.argument("project")
@client_command
def versions_sync(ctx: Ctx, project: str) -> None:
    """Sync versions from the repository's branches and tags (queued; the server answers at once)."""
    data = ctx.client.request("POST", f"/api/v3/projects/{project}/sync-versions/", {})
    ctx.emit(
        data,
        lambda: ctx.out.print(
            f"Queued a sync of {project}'s versions; "
            f"`docshelf versions list {project}` shows them once it ran.",
            markup=False,
        ),
    )


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _patch(ctx: Ctx, project: str, version: str, changes: dict[str, Any], verb: str) -> None:
    """PATCH answers 204; show the version as it is now so ``--json`` has something useful."""
    path = f"/api/v3/projects/{project}/versions/{version}/"
    ctx.client.request("PATCH", path, changes)
    data = ctx.client.get(path)
    ctx.emit(data, lambda: ctx.out.print(f"{verb} {project}/{version}."))


@versions.command("activate")
@click.argument("project")
@click.argument("version")
@client_command
def versions_activate(ctx: Ctx, project: str, version: str) -> None:
    """Activate a version (it gets built and served)."""
    _patch(ctx, project, version, {"active": True}, "Activated")


@versions.command("deactivate")
@click.argument("project")
@click.argument("version")
@client_command
def versions_deactivate(ctx: Ctx, project: str, version: str) -> None:
    """Deactivate a version (its docs are no longer served)."""
    _patch(ctx, project, version, {"active": False}, "Deactivated")


@versions.command("hide")
@click.argument("project")
@click.argument("version")
@click.option("--unhide", is_flag=True, help="Show the version in menus again.")
@client_command
def versions_hide(ctx: Ctx, project: str, version: str, unhide: bool) -> None:
    """Hide a version from menus and search (it stays reachable by URL)."""
    _patch(ctx, project, version, {"hidden": not unhide}, "Unhid" if unhide else "Hid")
