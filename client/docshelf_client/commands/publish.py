"""``docshelf publish DIR --project P --version V``: host docs built elsewhere (your own CI, a special
toolchain), without a Docshelf build.

The command sends a manifest of DIR (every regular file's path, size and SHA-256); the server answers
with the files it lacks, content-addressed, so a file it already holds from an earlier upload is never
sent again. Those go up with a progress bar (to Docshelf, or straight to object storage through
presigned URLs), then the upload is published in one step as a build of kind ``upload``. Run again
after an interruption, it sends only what is still missing. Symbolic links and special files are never
published: they are left out and named.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from typing import Any

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from docshelf_client.output import Ctx, client_command, fail

_CHUNK = 1024 * 1024


@dataclass
class Site:
    files: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def scan(root: str) -> Site:
    """Every regular file below ``root`` (links are not followed), with its relative path and hash."""
    site = Site()
    for folder, dirs, names in os.walk(root, followlinks=False):
        for name in sorted(dirs):
            if os.path.islink(os.path.join(folder, name)):
                site.left_out.append(os.path.relpath(os.path.join(folder, name), root))
        for name in sorted(names):
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            mode = os.lstat(path).st_mode
            if not stat.S_ISREG(mode):
                site.left_out.append(relative)
                continue
            site.files.append({"path": relative, "size": os.path.getsize(path), "sha256": _sha256(path)})
    site.files.sort(key=lambda f: f["path"])
    return site


def _send(ctx: Ctx, root: str, missing: list[dict[str, Any]]) -> int:
    """PUT each missing file to its URL with a progress bar; returns the bytes sent."""
    total = sum(int(m["size"]) for m in missing)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=ctx.err, transient=ctx.json) as progress:
        task = progress.add_task(f"Sending {len(missing)} files", total=total)
        for item in missing:
            path = os.path.join(root, *item["paths"][0].split("/"))
            ctx.client.put_file(item["upload_url"], path, int(item["size"]),
                                authenticated=item.get("upload_to") != "storage")
            progress.advance(task, int(item["size"]))
    return total


@click.command("publish")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--project", required=True, help="The project's slug.")
@click.option("--version", "version", required=True, help="The version to publish to (e.g. latest).")
@client_command
def publish(ctx: Ctx, directory: str, project: str, version: str) -> None:
    """Publish a directory of built HTML as a version's docs (only changed files are sent)."""
    site = scan(directory)
    if not site.files:
        fail(f"{directory} holds no files to publish.")
    for name in site.left_out:
        ctx.err.print(f"Left out (not a regular file): {name}")
    base = f"/api/v3/projects/{project}/versions/{version}/uploads/"
    upload = ctx.client.request("POST", base, {"files": site.files}, retry=True)
    missing = list(upload.get("missing") or [])
    sent = _send(ctx, directory, missing) if missing else 0
    done = ctx.client.request("POST", upload["_links"]["publish"], {}, retry=True)
    build = done.get("build") or {}
    report = {"project": project, "version": version, "upload": upload["id"], "build": build.get("id"),
              "files": len(site.files), "sent": len(missing), "sent_bytes": sent,
              "unchanged": len({f["sha256"] for f in site.files}) - len(missing), "left_out": site.left_out}
    ctx.emit(report, lambda: ctx.out.print(
        f"Published {len(site.files)} files to {project}/{version} (build {build.get('id')}): "
        f"sent {len(missing)} files ({sent} bytes), {report['unchanged']} unchanged."))
