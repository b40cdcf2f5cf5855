"""Docshelf's Sphinx extension and MkDocs plugin: one ``<script>`` tag on every HTML page.

The tag loads ``/_/static/docshelf-addons.js`` from the server the page is served by (root-relative,
as Read the Docs does, so it works path-based, host-based and on any port) and tells it the project
and version, read from the variables every Docshelf build sets (``DOCSHELF_*``, else
``READTHEDOCS_*``). Outside a Docshelf build (no such variables) nothing is added, so a project can
keep the extension enabled for local builds.

This package imports nothing from ``app`` or the rest of ``workers``: it runs inside the build's own
virtualenv, next to the project's code.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping

SCRIPT_ID = "docshelf-addons"
DEFAULT_BASE = "/_/"


def settings(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The script's URL and data attributes for this build, or None outside a Docshelf build.

    ``DOCSHELF_ADDONS_BASE`` (default ``/_/``) moves the script and the API elsewhere, e.g. to an
    absolute URL when pages are served from a CDN on another host.
    """
    env = os.environ if environ is None else environ

    def read(name: str) -> str:
        return env.get(f"DOCSHELF_{name}") or env.get(f"READTHEDOCS_{name}") or ""

    project, version = read("PROJECT"), read("VERSION")
    if not project or not version:
        return None
    base = (env.get("DOCSHELF_ADDONS_BASE") or DEFAULT_BASE).rstrip("/") + "/"
    return {
        "src": base + "static/docshelf-addons.js",
        "id": SCRIPT_ID,
        "data-docshelf-project": project,
        "data-docshelf-version": version,
        "data-docshelf-language": read("LANGUAGE"),
        "data-docshelf-api": base + "addons/",
    }


def script_tag(values: Mapping[str, str]) -> str:
    """The ``<script async>`` element for :func:`settings`' values."""
    attrs = " ".join(f'{name}="{html.escape(value, quote=True)}"' for name, value in sorted(values.items()))
    return f"<script async {attrs}></script>"


def inject(page: str, tag: str) -> str:
    """Put ``tag`` at the end of ``<head>`` (else of ``<body>``, else of the page); never twice."""
    if f'id="{SCRIPT_ID}"' in page:
        return page
    lower = page.lower()
    for marker in ("</head>", "</body>"):
        at = lower.rfind(marker)
        if at != -1:
            return page[:at] + tag + "\n" + page[at:]
    return page + "\n" + tag
