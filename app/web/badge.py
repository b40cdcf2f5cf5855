"""The build status badge at Read the Docs' URL: ``/projects/<project>/badge/?version=<slug>``.

An SVG for a README (``![docs](https://docs.example.com/projects/my-docs/badge/?version=latest)``),
on the app origin as Read the Docs serves it there. Anyone may fetch it; it is computed as for an
anonymous reader (app/services/badges.py), so a logged-in browser and an image proxy see the same
picture and a private project's badge is ``unknown``. The image holds no project text, only one of
three fixed words, and forbids everything a document could do. ``style`` (Read the Docs' badge
styles) is accepted and ignored: one flat style.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.services.badges import BadgeStatus, badge_status

bp = Blueprint("badge", __name__)

#: Fill colour and width of the right-hand part for each status (widths fit the word in Verdana 11px).
_LOOK: dict[str, tuple[str, int]] = {
    "passing": ("#4c1", 55),
    "failing": ("#e05d44", 48),
    "unknown": ("#9f9f9f", 62),
}
_LABEL_WIDTH = 35
#: Short: a build's result shows within a minute, and image proxies (GitHub's) honour it.
CACHE_CONTROL = "public, max-age=60"


def render(status: BadgeStatus) -> str:
    """The flat ``docs | <status>`` badge."""
    colour, width = _LOOK[status]
    total = _LABEL_WIDTH + width
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="docs: {status}"><title>docs: {status}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{_LABEL_WIDTH}" height="20" fill="#555"/>'
        f'<rect x="{_LABEL_WIDTH}" width="{width}" height="20" fill="{colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        f'font-size="11"><text x="{_LABEL_WIDTH / 2}" y="14">docs</text>'
        f'<text x="{_LABEL_WIDTH + width / 2}" y="14">{status}</text></g></svg>'
    )


@bp.route("/projects/<project_slug>/badge/")
def badge(project_slug: str) -> Response:
    status = badge_status(project_slug, request.args.get("version") or None)
    response = Response(render(status), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, the SVG is a document on the app origin: it may run and load nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
