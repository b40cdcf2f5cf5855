"""``GET /_/api/v3/embed/?url=<docs URL>[#fragment]``: a section of a hosted page (Read the Docs embed API).

Only documentation this server hosts: ``url`` must be a path on the docs origin or an absolute URL on a
docs host of ours (the docs origin, ``<project>.<DOCS_DOMAIN>``); anything else is refused with 400 and
nothing is ever fetched (no request leaves the server). The URL is resolved like a page request
(project, subproject, translation, version), the reader must be allowed to read that project and
version (404 otherwise, 401 for an anonymous reader of private docs), and the file is looked up with
the docs server's own path checks. The answer is ``{url, fragment, content, external}``, ``content``
being the section's markup (:mod:`app.search.fragments`).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from app import storage
from app.problems import problem
from app.search.fragments import SelectorError, extract
from app.serving import access, origin, paths
from app.serving.resolver import get_project, host_project_slug, servable_version, unresolve
from app.storage import Found
from app.urls import docs_prefix

bp = Blueprint("docs_embed", __name__)

MAX_URL = 2048
MAX_PAGE_BYTES = 5 * 1024 * 1024
DOCTOOLS = ("sphinx", "mkdocs", "docusaurus", "mdbook", "antora", "jekyll", "hugo", "pelican", "generic")


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def _bad(detail: str) -> _Refused:
    return _Refused(400, detail)


def _hosted_path(url: str) -> tuple[str | None, str]:
    """(project slug for a project host, path) of a URL on a docs host of ours; 400 otherwise."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.username or parts.password:
            raise _bad("url must be a page of documentation hosted here.")
        slug = host_project_slug(parts.netloc)
        if slug is None and not origin.is_docs_host(parts.netloc):
            raise _bad("url must be a page of documentation hosted here; other sites are never fetched.")
        return slug, unquote(parts.path)
    if not url.startswith("/"):
        raise _bad("url must be an absolute URL or a path starting with '/'.")
    return host_project_slug(request.host), unquote(parts.path)  # a path: on the host asked


def _page(url: str) -> tuple[Found, bool]:
    """The file behind a docs URL (and whether it is private), after the reader's access is checked."""
    slug, path = _hosted_path(url)
    if slug is not None:
        root, rest = "", path.lstrip("/")
    else:
        prefix = docs_prefix()
        if not path.startswith(prefix + "/"):
            raise _bad("url must be a page of documentation hosted here.")
        slug, _, rest = path[len(prefix) + 1 :].partition("/")
        root = f"{prefix}/{slug}"
    top = get_project(slug) if slug else None
    if top is None:
        raise _Refused(404, "There is no such page.")
    try:
        rest = paths.clean(rest)
    except paths.UnsafePath as exc:
        raise _bad(f"url is not a safe path: {exc}.") from exc
    site = unresolve(top, rest, root)
    version = (
        servable_version(site.project, site.version_slug) if site.project and site.version_slug else None
    )
    projects = [p for p in (top, site.owner, site.project) if p is not None]
    if not all(access.can_view(p) for p in projects) or (
        version is not None and not access.can_view(version.project, version)
    ):
        raise _Refused(401 if access.viewer() is None else 404, "There is no such page.")
    if version is None or site.project is None or site.filename is None:
        raise _Refused(404, "There is no such page.")
    found = paths.find_page(site.project.slug, version.slug, site.filename)
    if found is None or found.needs_slash or not found.path.endswith((".html", ".htm")):
        raise _Refused(404, "There is no such page.")
    private = any(access.is_private(p) for p in projects) or access.is_private(top, version)
    return found, private


@bp.get("/_/api/v3/embed/")
def embed() -> Response:
    """A section of a hosted page (Read the Docs' embed API v3)."""
    url = request.args.get("url", "")
    if not url:
        return problem(400, "'url' is required.", errors={"url": ["This query parameter is required."]})
    doctool = request.args.get("doctool")
    if doctool is not None and doctool not in DOCTOOLS:
        return problem(
            400, f"doctool must be one of {', '.join(DOCTOOLS)}.", errors={"doctool": ["Unknown."]}
        )
    if len(url) > MAX_URL:
        return problem(400, f"url is longer than {MAX_URL} characters.", errors={"url": ["Too long."]})
    fragment = urlsplit(url).fragment or None
    try:
        found, private = _page(url.split("#", 1)[0])
        with storage.backend().open(found) as fh:  # local or object storage alike
            source = fh.read(MAX_PAGE_BYTES + 1)
        if len(source) > MAX_PAGE_BYTES:
            raise _Refused(404, "The page is too large to embed.")
        content = extract(
            source.decode("utf-8", errors="replace"),
            unquote(fragment) if fragment else None,
            request.args.get("maincontent"),
        )
    except _Refused as exc:
        return problem(exc.status, exc.detail, errors={"url": [exc.detail]} if exc.status == 400 else None)
    except SelectorError as exc:
        return problem(400, str(exc), errors={"maincontent": [str(exc)]})
    if content is None:
        return problem(404, "The page has no such section.")
    response = jsonify({"url": url, "fragment": fragment, "content": content, "external": False})
    response.headers["Cache-Control"] = "private, no-cache" if private else "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if private:
        response.vary.update(("Cookie", "Authorization"))
    return response
