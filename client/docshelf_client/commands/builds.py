"""``docshelf builds list|trigger|show|log|cancel``.

``trigger --wait`` is what CI runs: it follows the build live, streams the log as it grows, and exits 0
only when the build succeeded, so a failed docs build fails the pipeline with the failing output shown.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from docshelf_client.output import Ctx, client_command

FINAL_STATES = frozenset({"finished", "cancelled"})


@click.group("builds")
def builds() -> None:
    """Builds of a project: list, trigger, show, log, cancel."""


def _summary(build: dict[str, Any]) -> str:
    state = build.get("state") or {}
    outcome = "" if build.get("success") is None else (" passed" if build["success"] else " failed")
    where = f"{build.get('project')}/{build.get('version')}"
    return f"build {build['id']} of {where}: {state.get('name')}{outcome}"


def _show_build(ctx: Ctx, build: dict[str, Any]) -> None:
    ctx.table(
        ["FIELD", "VALUE"],
        [
            ("id", build["id"]),
            ("project", build.get("project")),
            ("version", build.get("version")),
            ("state", (build.get("state") or {}).get("code")),
            ("success", build.get("success")),
            ("commit", build.get("commit")),
            ("created", build.get("created")),
            ("finished", build.get("finished")),
            ("duration", build.get("duration")),
            ("error", build.get("error")),
        ],
    )


def failing_output(ctx: Ctx, project: str, build: dict[str, Any]) -> str:
    """The command that failed and its output, for the reader of a red CI job."""
    commands = list(ctx.client.paginate(f"/api/v3/projects/{project}/builds/{build['id']}/commands/"))
    failed = [c for c in commands if c.get("exit_code") not in (None, 0)]
    parts = [f"$ {c.get('command')}  (exit {c.get('exit_code')})\n{c.get('output') or ''}" for c in failed]
    if build.get("error"):
        parts.append(f"Error: {build['error']}")
    return "\n".join(parts) or "The build failed without a failing command."


def wait_for_build(
    ctx: Ctx, project: str, build: dict[str, Any], interval: float, timeout: float
) -> dict[str, Any]:
    """Follow the build until it ends, printing its log as it grows (to stderr under ``--json``).

    Each poll is one request, ``log.txt?offset=N``: the answer is only the new part of the log, and its
    headers carry the next offset and the build's state, so nothing is printed twice or missed.
    """
    path = f"/api/v3/projects/{project}/builds/{build['id']}/"
    stream = ctx.err if ctx.json else ctx.out
    offset = 0
    deadline = time.monotonic() + timeout
    with stream.status(_summary(build)) as status:
        while True:
            text, headers = ctx.client.log_since(f"{path}log.txt", offset)
            if text:
                stream.out(text, highlight=False, end="")
            offset = int(headers.get("docshelf-log-offset", offset))
            state = headers.get("docshelf-build-state", "")
            if state in FINAL_STATES:
                return dict(ctx.client.get(path))
            status.update(_summary({**build, "state": {"name": state.title()}}))
            if time.monotonic() > deadline:
                ctx.err.print(f"Gave up waiting after {timeout:.0f} s; the build goes on.")
                sys.exit(3)
            time.sleep(interval)


#: The API's page size limit (``MAX_PAGE_SIZE``'s default); more than that is walked page by page.
PAGE_SIZE = 100


def _result(build: dict[str, Any]) -> str:
    if build.get("success") is None:
        return ""
    return "passed" if build["success"] else "failed"


@builds.command("list")
@click.argument("project")
@click.argument("version", required=False)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Newest N builds.")
@client_command
def builds_list(ctx: Ctx, project: str, version: str | None, limit: int) -> None:
    """List a project's builds (or one version's), newest first."""
    path = f"/api/v3/projects/{project}/" + (f"versions/{version}/builds/" if version else "builds/")
    items: list[dict[str, Any]] = []
    while len(items) < limit:
        page = ctx.client.get(path, {"limit": min(PAGE_SIZE, limit - len(items)), "offset": len(items)})
        results = page.get("results") or []
        items.extend(results)
        if not results or len(items) >= int(page.get("count") or 0):
            break
    ctx.emit(
        items,
        lambda: ctx.table(
            ["ID", "VERSION", "STATE", "RESULT", "COMMIT", "CREATED", "DURATION"],
            [
                (
                    b["id"],
                    b.get("version"),
                    (b.get("state") or {}).get("code"),
                    _result(b),
                    (b.get("commit") or "")[:12],
                    b.get("created"),
                    "" if b.get("duration") is None else f"{b['duration']} s",
                )
                for b in items
            ],
        ),
    )


@builds.command("trigger")
@click.argument("project")
@click.argument("version", required=False)
@click.option("--wait", is_flag=True, help="Follow the build; exit 0 only if it succeeds.")
@click.option("--interval", type=float, default=2.0, show_default=True, help="Seconds between polls.")
@click.option("--timeout", type=float, default=3600, show_default=True, help="Seconds to wait at most.")
@client_command
def builds_trigger(
    ctx: Ctx, project: str, version: str | None, wait: bool, interval: float, timeout: float
) -> None:
    """Build a version (default: the project's default version)."""
    if version is None:
        version = ctx.client.get(f"/api/v3/projects/{project}/")["default_version"]
    answer = ctx.client.request("POST", f"/api/v3/projects/{project}/versions/{version}/builds/", {})
    build = answer["build"]
    if not wait:
        ctx.emit(build, lambda: ctx.out.print(f"Triggered build {build['id']} of {project}/{version}."))
        return
    if not ctx.json:
        ctx.out.print(f"Triggered build {build['id']} of {project}/{version}.")
    build = wait_for_build(ctx, project, build, interval, timeout)
    ctx.emit(build, lambda: ctx.out.print(_summary(build)))
    if build.get("success"):
        return
    ctx.err.out(failing_output(ctx, project, build), highlight=False)
    sys.exit(1)


@builds.command("show")
@click.argument("project")
@click.argument("build_id", type=int)
@client_command
def builds_show(ctx: Ctx, project: str, build_id: int) -> None:
    """Show a build."""
    data = ctx.client.get(f"/api/v3/projects/{project}/builds/{build_id}/")
    ctx.emit(data, lambda: _show_build(ctx, data))


@builds.command("log")
@click.argument("project")
@click.argument("build_id", type=int)
@client_command
def builds_log(ctx: Ctx, project: str, build_id: int) -> None:
    """Print a build's log (as far as it got, if it is still running)."""
    text = ctx.client.text(f"/api/v3/projects/{project}/builds/{build_id}/log.txt")
    ctx.emit({"id": build_id, "log": text}, lambda: click.echo(text, nl=False))


@builds.command("cancel")
@click.argument("project")
@click.argument("build_id", type=int)
@client_command
def builds_cancel(ctx: Ctx, project: str, build_id: int) -> None:
    """Cancel a queued or running build."""
    data = ctx.client.request("POST", f"/api/v3/projects/{project}/builds/{build_id}/cancel/", {})
    ctx.emit(data, lambda: ctx.out.print(f"Cancelled build {build_id}."))
