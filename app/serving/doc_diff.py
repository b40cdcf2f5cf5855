"""Read the Docs' ``doc_diff`` for a pull request's preview: the addons' answer, and the base page the
client script compares the preview page with.

The preview (``<project>--<n>.<EXTERNAL_DOCS_DOMAIN>``) and its base (the same page of the project's
default version, on the docs origin) are on two origins, and the script may only read its own. So the
preview host answers ``GET /_/doc-diff/?filename=<page>`` with the base page's main content, read
through the storage seam. Only a *public* base is ever answered: a preview runs a pull request's
scripts, anyone's, in the reader's browser on that host, and whatever this endpoint gives the reader
those scripts can read and send away. Public docs are no secret; a private project's or version's
pages are never given out here, whoever asks (``doc_diff`` is then disabled). The script takes only
the text of the blocks (:file:`app/static/docshelf-addons.js`), never runs or inserts the markup.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from app import storage
from app.models import Project, Version
from app.models.version import find_version
from app.problems import problem
from app.search.fragments import extract
from app.serving import access, paths
from app.serving.resolver import default_version_slug, get_project, preview_site, servable_version
from app.urls import docs_url

bp = Blueprint("doc_diff", __name__)

ENDPOINT = "/_/doc-diff/"
MAX_PAGE_BYTES = 5 * 1024 * 1024


def public_base(project: Project) -> Version | None:
    """The version a preview is compared with (the default one), when it is servable and public."""
    base = servable_version(project, default_version_slug(project))
    if base is None or access.is_private(project, base):
        return None
    return base


def doc_diff(project: Project, version: Version, filename: str | None) -> dict[str, Any]:
    """A preview page's ``doc_diff`` block: on when its base version is public; ``base_url`` is the
    same page of the base version (the project's default one) on the docs origin."""
    base = public_base(project)
    page = (filename or "/").lstrip("/")
    if base is None:
        return {"enabled": False, "base_url": docs_url(project, default_version_slug(project), page),
                "inject_styles": False}
    return {"enabled": True, "base_url": docs_url(project, base.slug, page), "inject_styles": True}


@bp.get(ENDPOINT)
def base_page() -> Response:
    """The main content of the base version's page ``filename``, on a preview host only."""
    site = preview_site(request.host)
    if site is None:
        return problem(404, "This is only answered on a pull request's preview host.")
    project = get_project(site[0])
    version = find_version(project, site[1]) if project is not None else None
    if project is None or version is None or version.type != "external" or not version.servable:
        return problem(404, "There is no such preview.")
    if not access.can_view(project, version):  # the project's and the version's visibility
        return problem(401 if access.viewer() is None else 404, "There is no such preview.")
    base = public_base(project)
    if base is None:
        return problem(404, "The preview's base version is not public: it is not compared here.")
    try:
        filename = paths.clean(request.args.get("filename", "").lstrip("/"))
    except paths.UnsafePath as exc:
        return problem(400, f"filename is not a safe path: {exc}.", errors={"filename": [str(exc)]})
    found = paths.find_page(project.slug, base.slug, filename)
    if found is None or found.needs_slash or not found.path.endswith((".html", ".htm")):
        return problem(404, "The base version has no such page.")
    with storage.backend().open(found) as fh:
        source = fh.read(MAX_PAGE_BYTES + 1)
    if len(source) > MAX_PAGE_BYTES:
        return problem(404, "The base page is too large to compare.")
    content = extract(source.decode("utf-8", errors="replace"), None)
    response = jsonify({"base_url": docs_url(project, base.slug, filename), "content": content or ""})
    private = access.is_private(project, version)
    response.headers["Cache-Control"] = "private, no-cache" if private else "public, max-age=60"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if private:
        response.vary.update(("Cookie", "Authorization"))
    return response
