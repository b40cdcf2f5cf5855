"""Read the Docs' ``filetreediff`` for a pull request's preview: which pages it added, modified or
deleted against the base version (the project's default version), from the two builds' manifests.

Pages compare by their main content's hash (``workers.manifest``), so navigation and theme changes
that touch every page do not count; only HTML pages are listed, each with the URL of both sides
(the preview's own host, the base version on the docs origin). ``outdated``: the base version was
built again after the preview, so the diff may show changes the PR did not make.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import request

from app.models import Build, Project, Version
from app.services.builds import last_successful_build
from app.serving.resolver import default_version_slug, preview_site, servable_version
from app.urls import URL_SAFE, docs_url, preview_url

DISABLED: dict[str, Any] = {"enabled": False}


def _pages(build: Build) -> dict[str, str]:
    files = (build.manifest or {}).get("files") or {}
    return {path: entry.get("main_content_hash", "") for path, entry in files.items()
            if path.endswith(".html") and isinstance(entry, dict)}


def filetreediff(project: Project, version: Version | None) -> dict[str, Any]:
    """The addons' ``filetreediff`` block: disabled but for a preview whose builds both have manifests."""
    if version is None or version.type != "external":
        return DISABLED
    base_version = servable_version(project, default_version_slug(project))
    current = last_successful_build(version.id, with_manifest=True)
    base = last_successful_build(base_version.id, with_manifest=True) if base_version is not None else None
    if base_version is None or current is None or base is None or not current.manifest or not base.manifest:
        return DISABLED
    ours, theirs = _pages(current), _pages(base)
    here = preview_site(request.host) == (project.slug, version.slug)  # links keep the reader's host:port
    root = f"{request.scheme}://{request.host}/" if here else preview_url(project.slug, version.slug)

    def entry(path: str) -> dict[str, Any]:
        assert base_version is not None
        current_url = root + quote(path, safe=URL_SAFE) if root else None
        return {"filename": path, "urls": {"current": current_url,
                                           "base": docs_url(project, base_version.slug, path)}}

    return {
        "enabled": True,
        "outdated": bool(base.finished and current.finished and base.finished > current.finished),
        "base_version": base_version.slug,
        "diff": {
            "added": [entry(p) for p in sorted(ours.keys() - theirs.keys())],
            "deleted": [entry(p) for p in sorted(theirs.keys() - ours.keys())],
            "modified": [entry(p) for p in sorted(ours.keys() & theirs.keys()) if ours[p] != theirs[p]],
        },
    }
