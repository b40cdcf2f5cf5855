"""Pull-request previews, served apart: ``<project>--<number>.<EXTERNAL_DOCS_DOMAIN>/<file>`` only.

A preview is built from the least trusted code there is (anyone's pull request), so it never shares an
origin with the real versions: its scripts cannot read or overwrite what the published docs' origin
holds (storage, cookies, service workers), and a reader cannot mistake it for the published docs.
The docs origin refuses ``external`` versions (:func:`app.serving.resolver.servable_version`); when no
``EXTERNAL_DOCS_DOMAIN`` is configured, previews are not served at all. Every answer carries
``X-Robots-Tag: noindex`` (search engines must not index throw-away builds); who may read a preview is
its version's privacy level, the project's ``external_builds_privacy_level`` when it was built. The
host's ``/_/`` paths (addons, the client script) are the docs origin's usual ones.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import request
from werkzeug.wrappers import Response

from app.models import Version
from app.models.version import find_version
from app.serving import access, paths, responses
from app.serving.resolver import get_project, preview_site
from app.urls import URL_SAFE

NOINDEX = "noindex, nofollow"


def _noindex(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = NOINDEX
    return response


def preview_dispatch() -> Response | None:
    """Answer every path of a preview host but ``/_/`` (the request pipeline's docs chain)."""
    site = preview_site(request.host)
    if site is None or request.path.startswith("/_/"):
        return None
    if request.method not in ("GET", "HEAD"):
        return Response("Method not allowed.\n", 405, {"Allow": "GET, HEAD"}, mimetype="text/plain")
    if request.path == "/robots.txt":
        return _noindex(Response("User-agent: *\nDisallow: /\n", mimetype="text/plain"))
    return _noindex(_serve(*site))


def _serve(project_slug: str, number: str) -> Response:
    project = get_project(project_slug)
    version = find_version(project, number) if project is not None else None
    if project is None or version is None or version.type != "external" or not version.servable:
        return responses.not_found()
    if not access.can_view(project) or not access.can_view(project, version):
        return access.deny(responses.not_found())
    private = access.is_private(project, version)
    try:
        path = paths.clean(request.path.lstrip("/"))
    except paths.UnsafePath as exc:
        return responses.bad_request(str(exc))
    found = paths.find_page(project.slug, version.slug, path)
    if found is None:
        return responses.not_found(private=private)
    if found.needs_slash:
        return responses.system_redirect(f"/{quote(path, safe=URL_SAFE)}/", private=private)
    return responses.send_found(found, private=private)


def external_warning(version: Version | None, commit: str | None) -> dict[str, Any]:
    """The addons' banner on a preview: "built from pull request #N (commit abc123), not the published
    docs", linking to the pull request (an http(s) URL checked when the delivery stored it)."""
    if version is None or version.type != "external":
        return {"enabled": True, "show": False}
    short = (commit or version.identifier or "")[:7]
    return {
        "enabled": True,
        "show": True,
        "pull_request": {"number": version.verbose_name, "url": version.external_url, "commit": short},
        "message": f"This page was built from pull request #{version.verbose_name}"
                   + (f" (commit {short})" if short else "") + ", not the published docs.",
    }
