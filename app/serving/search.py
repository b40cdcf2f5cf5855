"""``GET /_/api/v3/search/``: the search API on the docs origin, for the addons' search modal.

The same answer as ``/api/v3/search/`` (:func:`app.services.search.answer`), read with the docs origin's
credential (a reader's docs grant or a token), so a private version is searched for a reader who may
read it on the very origin that serves it. Links to further pages stay on the docs origin. On a pull
request's preview host it searches as an anonymous reader (:func:`app.serving.access.wide_viewer`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from app import auth
from app.problems import problem
from app.search.query import QueryError
from app.services import search as service
from app.serving import access
from app.serving.resolver import get_project
from app.urls import docs_site_url

bp = Blueprint("docs_search", __name__)


def _number(name: str, default: int, maximum: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return min(value, maximum) if value >= 1 else default


def _page_link(page: int) -> str:
    args = request.args.copy()
    args.setlist("page", [str(page)])
    return docs_site_url("_", "api", "v3", "search") + "?" + urlencode(list(args.items(multi=True)))


@bp.get("/_/api/v3/search/")
def search() -> Response:
    raw = request.args.get("q", "")
    if not raw.strip():
        return problem(
            400, "This query parameter is required.", errors={"q": ["This query parameter is required."]}
        )
    page = _number("page", 1, service.MAX_PAGE)
    size = _number("page_size", service.DEFAULT_PAGE_SIZE, service.MAX_PAGE_SIZE)
    try:
        body = service.answer(auth.principal_for(access.wide_viewer()), raw, page, size, _page_link)
    except QueryError as exc:
        return problem(400, str(exc), errors={"q": [str(exc)]})
    searched = [get_project(p["slug"]) for p in body.get("projects", [])]
    if any(p is None or access.outside_custom_domain(p) for p in searched):
        # A custom domain answers for its own project only (app.serving.access.outside_custom_domain).
        return problem(404, "This site searches its own project only.", code="not_found")
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.update(("Cookie", "Authorization"))
    return response
