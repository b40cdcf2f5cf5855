"""Read the Docs checks authentication and project permission before the method (405).

Flask's router decides 405 before any view runs, so the 405 handler replays those checks:
it matches the URL with an allowed method to learn the project slug, then asks the same
permission helpers the views use.
"""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from app import auth

_SAFE = {"GET", "HEAD", "OPTIONS"}


def check_before_405(valid_methods: list[str]) -> None:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        _endpoint, view_args = adapter.match(method=(valid_methods or ["GET"])[0])
    except HTTPException:
        return
    slug = view_args.get("project_slug")
    if request.method in _SAFE:
        if slug:
            auth.readable_project(slug)
        return
    if slug:
        auth.writable_project(slug)
    else:
        auth.require_user()
