"""The human URLs the API advertises (``urls.build``, ``urls.builds``, ``dashboard.edit``...).

Read the Docs points them at its dashboard; Docshelf's dashboard is the browsable API, so each one
redirects to the API resource it is about, which a browser gets as a page with its links and forms.
Webhook payloads and CI logs carry these URLs, so they must lead somewhere rather than 404. Docs
hosts (``<project>.<DOCS_DOMAIN>``) never reach these routes: their paths belong to the docs.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request
from werkzeug.wrappers import Response

bp = Blueprint("dashboard", __name__)


def _to_api(path: str) -> Response:
    query = request.query_string.decode("latin-1")
    target = f"{request.script_root}/api/v3/{path}"
    return redirect(f"{target}?{query}" if query else target, code=302)


@bp.route("/projects/<project_slug>/")
def project(project_slug: str) -> Response:
    return _to_api(f"projects/{project_slug}/")


@bp.route("/projects/<project_slug>/builds/")
def builds(project_slug: str) -> Response:
    return _to_api(f"projects/{project_slug}/builds/")


@bp.route("/projects/<project_slug>/builds/<int:build_id>/")
def build(project_slug: str, build_id: int) -> Response:
    return _to_api(f"projects/{project_slug}/builds/{build_id}/")


@bp.route("/projects/<project_slug>/versions/")
@bp.route("/projects/<project_slug>/downloads/")
def versions(project_slug: str) -> Response:
    """Each version lists its ``downloads``, so the downloads page is the versions list."""
    return _to_api(f"projects/{project_slug}/versions/")


@bp.route("/projects/<project_slug>/versions/<version_slug>/")
@bp.route("/dashboard/<project_slug>/version/<version_slug>/edit/")
def version(project_slug: str, version_slug: str) -> Response:
    """The version's API page carries the PATCH form that edits it."""
    return _to_api(f"projects/{project_slug}/versions/{version_slug}/")
