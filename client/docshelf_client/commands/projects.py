"""``docshelf projects list|show|create|delete``."""

from __future__ import annotations

from typing import Any

import click

from docshelf_client.output import Ctx, client_command


@click.group("projects")
def projects() -> None:
    """Projects on the server: list, show, create, delete."""


@projects.command("list")
@client_command
def projects_list(ctx: Ctx) -> None:
    """List the projects you can see."""
    items = list(ctx.client.paginate("/api/v3/projects/"))
    ctx.emit(
        items,
        lambda: ctx.table(
            ["SLUG", "NAME", "DEFAULT VERSION", "REPOSITORY"],
            [
                (p["slug"], p["name"], p.get("default_version"), (p.get("repository") or {}).get("url"))
                for p in items
            ],
        ),
    )


def _show(ctx: Ctx, project: dict[str, Any]) -> None:
    ctx.table(
        ["FIELD", "VALUE"],
        [
            ("slug", project["slug"]),
            ("name", project["name"]),
            ("repository", (project.get("repository") or {}).get("url")),
            ("language", (project.get("language") or {}).get("code")),
            ("default version", project.get("default_version")),
            ("default branch", project.get("default_branch")),
            ("privacy", project.get("privacy_level")),
            ("docs", (project.get("urls") or {}).get("documentation")),
        ],
    )


@projects.command("show")
@click.argument("project")
@client_command
def projects_show(ctx: Ctx, project: str) -> None:
    """Show one project."""
    data = ctx.client.get(f"/api/v3/projects/{project}/")
    ctx.emit(data, lambda: _show(ctx, data))


@projects.command("create")
@click.argument("name")
@click.option("--repository", "repository", required=True, help="Git URL of the documentation sources.")
@click.option("--language", default=None, help="Documentation language code, e.g. en.")
@click.option("--programming-language", default=None, help="e.g. py.")
@click.option("--homepage", default=None)
@client_command
def projects_create(
    ctx: Ctx,
    name: str,
    repository: str,
    language: str | None,
    programming_language: str | None,
    homepage: str | None,
) -> None:
    """Create a project (you become its maintainer)."""
    body: dict[str, Any] = {"name": name, "repository": {"url": repository, "type": "git"}}
    for key, value in (
        ("language", language),
        ("programming_language", programming_language),
        ("homepage", homepage),
    ):
        if value is not None:
            body[key] = value
    data = ctx.client.request("POST", "/api/v3/projects/", body)
    ctx.emit(data, lambda: ctx.out.print(f"Created project {data['slug']}."))


@projects.command("delete")
@click.argument("project")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@client_command
def projects_delete(ctx: Ctx, project: str, yes: bool) -> None:
    """Delete a project with its versions, builds and hosted files."""
    if not yes and not ctx.json:
        click.confirm(f"Delete project {project} and all its documentation?", abort=True)
    ctx.client.request("DELETE", f"/api/v3/projects/{project}/")
    ctx.emit({"deleted": project}, lambda: ctx.out.print(f"Deleted project {project}."))
