"""``docshelf download``: fetch a version's offline formats.

htmlzip/epub/pdf URLs come from the version's ``downloads`` field (only what the build published);
``tar.gz`` is packed by the server from the served HTML and always exists once the version is built.
"""

from __future__ import annotations

import os
import shutil

import click

from docshelf_client.output import Ctx, client_command, fail

FORMATS = ("htmlzip", "epub", "pdf", "tar.gz")
EXTENSIONS = {"htmlzip": "zip", "epub": "epub", "pdf": "pdf", "tar.gz": "tar.gz"}


@click.command("download")
@click.argument("project")
@click.argument("version")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="htmlzip", show_default=True)
@click.option("-o", "--output", default=None, help="File to write (default: <project>-<version>.<ext>).")
@client_command
def download(ctx: Ctx, project: str, version: str, fmt: str, output: str | None) -> None:
    """Download a built version as htmlzip, epub, pdf or tar.gz."""
    data = ctx.client.get(f"/api/v3/projects/{project}/versions/{version}/")
    if fmt == "tar.gz":
        language = (ctx.client.get(f"/api/v3/projects/{project}/").get("language") or {}).get("code", "en")
        url = f"/_/downloads/{project}/{language}/{version}/tar.gz/"
    else:
        url = str((data.get("downloads") or {}).get(fmt) or "")
        if not url:
            fail(
                f"{project}/{version} has no {fmt} download (formats built: "
                f"{', '.join(sorted(data.get('downloads') or {})) or 'none'}).",
                kind="not_found",
            )
    target = output or f"{project}-{version}.{EXTENSIONS[fmt]}"
    partial = f"{target}.part"
    with ctx.client.open("GET", url) as response, open(partial, "wb") as fh:
        shutil.copyfileobj(response, fh)
    os.replace(partial, target)  # never leave a truncated file under the final name
    size = os.path.getsize(target)
    ctx.emit(
        {"path": target, "format": fmt, "bytes": size},
        lambda: ctx.out.print(f"Saved {target} ({size} bytes)."),
    )
