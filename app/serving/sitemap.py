"""Per-project ``sitemap.xml`` and ``robots.txt``, at the project's root (path- and host-based).

The sitemap lists what search engines may index: active, built, public, not hidden versions, with
their translations as ``hreflang`` alternates. ``robots.txt`` is the project's own when its default
version built one (as on Read the Docs), else generated: hidden versions disallowed, sitemap linked.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from flask import Blueprint, request
from werkzeug.wrappers import Response

from app.models import Project, Version
from app.serving import access, listing, paths, responses
from app.serving.resolver import default_version_slug, get_project, servable_version
from app.urls import docs_prefix, docs_url

bp = Blueprint("docs_meta", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


@bp.get("/<project_slug>/sitemap.xml")
def sitemap_view(project_slug: str) -> Response:
    """The project's sitemap (path-based)."""
    return sitemap(project_slug)


@bp.get("/<project_slug>/robots.txt")
def robots_view(project_slug: str) -> Response:
    """The project's robots.txt (path-based)."""
    return robots(project_slug, f"{docs_prefix()}/{project_slug}")


def _readable(slug: str) -> Project | Response:
    """The project, or the response refusing it (missing, or not for this reader)."""
    project = get_project(slug)
    if project is None:
        return responses.not_found()
    if not access.can_view(project):
        return access.deny(responses.not_found())
    return project


def _frequency(project: Project, version: Version) -> tuple[str, str]:
    if version.slug == default_version_slug(project):
        return "weekly", "1.0"
    if version.slug == "latest":
        return "daily", "0.9"
    return "monthly", "0.5"


def sitemap(slug: str) -> Response:
    project = _readable(slug)
    if not isinstance(project, Project):
        return project
    others = listing.translations(project, public_only=True)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">',
    ]
    for version in listing.public_versions(project):
        changefreq, priority = _frequency(project, version)
        lines += ["  <url>", f"    <loc>{escape(docs_url(project, version.slug))}</loc>"]
        alternates = [(project, version)] + [(p, v) for p in others if (v := _same_version(p, version.slug))]
        if len(alternates) > 1:
            for other, other_version in alternates:
                href = quoteattr(docs_url(other, other_version.slug))
                lines.append(f'    <xhtml:link rel="alternate" hreflang="{other.language}" href={href}/>')
        lines += [
            f"    <lastmod>{version.modified.date().isoformat()}</lastmod>",
            f"    <changefreq>{changefreq}</changefreq>",
            f"    <priority>{priority}</priority>",
            "  </url>",
        ]
    lines.append("</urlset>")
    response = Response("\n".join(lines) + "\n", mimetype="application/xml")
    return responses.cache_control(response, private=access.is_private(project))


def _same_version(project: Project, slug: str) -> Version | None:
    version = servable_version(project, slug)
    ok = version is not None and not version.hidden and version.privacy_level == "public"
    return version if ok else None


def robots(slug: str, root: str) -> Response:
    """``root`` is where the request found the project (the sitemap is linked next to it)."""
    project = _readable(slug)
    if not isinstance(project, Project):
        return project
    private = access.is_private(project)
    default = servable_version(project, default_version_slug(project))
    if default is not None and default.privacy_level == "public":
        found = paths.find_page(project.slug, default.slug, "robots.txt")
        if found is not None and not found.needs_slash:
            return responses.send_found(found, private=private)
    lines = ["User-agent: *"]
    for version in listing.hidden_public_versions(project):
        lines.append(f"Disallow: {_path_of(docs_url(project, version.slug))}")
    if len(lines) == 1:
        lines.append("Disallow:")
    lines += ["", f"Sitemap: {request.host_url.rstrip('/')}{root}/sitemap.xml"]
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    return responses.cache_control(response, private=private)


def _path_of(url: str) -> str:
    return urlsplit(url).path
