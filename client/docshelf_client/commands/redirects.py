"""``docshelf redirects list|apply``: keep a project's redirects in a file under version control.

``apply -f redirects.yml`` is a declarative sync: afterwards the server has exactly the file's redirects,
in the file's order. Entries are matched to existing redirects by ``(type, from_url)``; only the fields an
entry sets are compared, so a file can stay short. ``--dry-run`` prints the plan without changing anything.
The file's format is documented in the README ("The redirects file").
"""

from __future__ import annotations

import re
from typing import Any

import click
import yaml

from docshelf_client.output import Ctx, client_command, fail

_ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)
FIELDS = ("type", "from_url", "to_url", "http_status", "force", "enabled", "description")


@click.group("redirects")
def redirects() -> None:
    """Redirects of a project: list, apply a redirects file."""


def _current(ctx: Ctx, project: str) -> list[dict[str, Any]]:
    items = list(ctx.client.paginate(f"/api/v3/projects/{project}/redirects/"))
    return sorted(items, key=lambda r: r.get("position", 0))


@redirects.command("list")
@click.argument("project")
@client_command
def redirects_list(ctx: Ctx, project: str) -> None:
    """List redirects in the order they are tried."""
    items = _current(ctx, project)
    ctx.emit(
        items,
        lambda: ctx.table(
            ["POS", "TYPE", "FROM", "TO", "STATUS", "ENABLED"],
            [
                (
                    r.get("position"),
                    r["type"],
                    r.get("from_url"),
                    r.get("to_url"),
                    r.get("http_status"),
                    "yes" if r.get("enabled") else "no",
                )
                for r in items
            ],
        ),
    )


def load_file(path: str) -> list[dict[str, Any]]:
    """A list of redirects, either the whole document or under a top-level ``redirects`` key."""
    try:
        with open(path, encoding="utf-8") as fh:
            document = yaml.safe_load(fh) or []
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        fail(f"{path}: not a YAML file ({exc}).", kind="invalid_file")
    entries = document.get("redirects", []) if isinstance(document, dict) else document
    if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("type") for e in entries):
        fail(f"{path}: expected a list of redirects, each a mapping with a type.", kind="invalid_file")
    unknown = sorted({key for e in entries for key in e} - set(FIELDS))
    if unknown:
        allowed = ", ".join(FIELDS)
        fail(f"{path}: unknown field(s) {', '.join(unknown)}; allowed: {allowed}.", kind="invalid_file")
    return [normalize(e) for e in entries]


def normalize(entry: dict[str, Any]) -> dict[str, Any]:
    """Spell URLs the way the server stores them (see ``app.services.redirects``), or a file that writes
    ``/old/`` would never match the stored ``/old`` and every run would update it again."""
    entry = dict(entry)
    if isinstance(entry.get("from_url"), str):
        entry["from_url"] = "/" + entry["from_url"].strip().strip("/")
    to_url = entry.get("to_url")
    if isinstance(to_url, str) and not _ABSOLUTE.match(to_url.strip()):
        entry["to_url"] = "/" + to_url.strip().lstrip("/")
    return entry


def plan(current: list[dict[str, Any]], desired: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps, in the order they must run, that turn ``current`` into ``desired``.

    Deletes go first; then positions are settled from the top: at step ``i`` everything above ``i`` is
    final, so creating or moving to ``i`` only shifts rows below. The local ``order`` mirrors how the
    server shifts neighbours, so each step's position is right when it runs.
    """
    unmatched = list(current)
    matches: list[dict[str, Any] | None] = []
    for want in desired:
        key = _key(want)
        found = next((r for r in unmatched if _key(r) == key), None)
        if found is not None:
            unmatched.remove(found)
        matches.append(found)
    steps: list[dict[str, Any]] = [{"action": "delete", "pk": r["pk"], "redirect": r} for r in unmatched]
    order = [r["pk"] for r in current if r not in unmatched]
    for position, (want, have) in enumerate(zip(desired, matches, strict=True)):
        if have is None:
            steps.append({"action": "create", "position": position, "redirect": want})
            order.insert(position, None)
            continue
        changes = {k: v for k, v in want.items() if have.get(k) != v}
        if order.index(have["pk"]) != position:
            changes["position"] = position
            order.remove(have["pk"])
            order.insert(position, have["pk"])
        if changes:
            steps.append({"action": "update", "pk": have["pk"], "changes": changes, "redirect": want})
    return steps


def _key(redirect: dict[str, Any]) -> tuple[str, str]:
    """What identifies a redirect: its type and ``from_url``, which the HTML types store as ``""``
    and a file leaves out."""
    return redirect["type"], redirect.get("from_url") or ""


def _describe(step: dict[str, Any]) -> str:
    r = step["redirect"]
    what = f"{r['type']} {r.get('from_url') or ''} -> {r.get('to_url') or ''}".strip()
    if step["action"] == "update":
        return f"update {what}: " + ", ".join(f"{k}={v!r}" for k, v in step["changes"].items())
    if step["action"] == "create":
        return f"create {what} at position {step['position']}"
    return f"delete {what}"


@redirects.command("apply")
@click.argument("project")
@click.option(
    "-f", "--file", "path", required=True, type=click.Path(exists=True, dir_okay=False), help="The YAML file."
)
@click.option("--dry-run", is_flag=True, help="Show the plan; change nothing.")
@client_command
def redirects_apply(ctx: Ctx, project: str, path: str, dry_run: bool) -> None:
    """Make the project's redirects match the file: create, update, delete and reorder.

    FILE is YAML: a list of redirects (or one under a top-level "redirects" key), each with a
    "type" and any of from_url, to_url, http_status, force, enabled, description (the README's
    "The redirects file" explains each).
    """
    desired = load_file(path)
    steps = plan(_current(ctx, project), desired)
    base = f"/api/v3/projects/{project}/redirects/"
    if not dry_run:
        for step in steps:
            if step["action"] == "delete":
                ctx.client.request("DELETE", f"{base}{step['pk']}/")
            elif step["action"] == "create":
                ctx.client.request("POST", base, {**step["redirect"], "position": step["position"]})
            else:
                ctx.client.request("PATCH", f"{base}{step['pk']}/", step["changes"])
    summary = [{k: v for k, v in s.items() if k != "pk"} | {"description": _describe(s)} for s in steps]

    def human() -> None:
        for line in summary:
            ctx.out.print(("would " if dry_run else "") + line["description"], markup=False)
        ctx.out.print(
            "Nothing to change." if not steps else f"{len(steps)} change(s){' planned' if dry_run else ''}."
        )

    ctx.emit({"dry_run": dry_run, "steps": summary}, human)
