"""User redirects at serve time, as the contract says.

Forced redirects are tried before any page is looked up, the others only when the page is missing;
disabled ones never. The first match by ``position`` wins. ``exact`` rules match the whole path below
the project's root (``/en/old/*``), ``page`` rules the path inside the requested version, and the two
HTML rules rewrite ``page/`` ⇄ ``page.html`` in that version. ``*`` at the end of ``from_url`` matches
any rest, which ``:splat`` in ``to_url`` repeats. The request's query string is carried over.

Never an open redirect: a relative ``to_url`` always stays on this host under the project's root
(whatever the splat holds), and an absolute ``to_url`` keeps its own host. Loops (a redirect leading
back to a URL already seen, directly or through other redirects) are not followed at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from flask import redirect, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import Project, Redirect
from app.serving.resolver import Site
from app.urls import URL_SAFE

log = logging.getLogger(__name__)

REDIRECT_HEADER = "X-Docshelf-Redirect"
MAX_HOPS = 10
_ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")  # browsers drop these, which could turn "/\t/" into "//"


@dataclass(frozen=True)
class Match:
    rule: Redirect
    location: str  # an absolute URL, or a path on this host; without the query string


def rules_for(project: Project) -> list[Redirect]:
    """The project's enabled redirects in the order they are tried (one query per request)."""
    stmt = (
        select(Redirect)
        .where(Redirect.project_id == project.id, Redirect.enabled.is_(True))
        .order_by(Redirect.position)
    )
    return list(db.session.scalars(stmt))


def find(rules: list[Redirect], site: Site, *, forced: bool) -> Match | None:
    for rule in rules:
        if rule.force != forced:
            continue
        location = _apply(rule, site)
        if location is not None:
            return Match(rule, location)
    return None


def _apply(rule: Redirect, site: Site) -> str | None:
    if rule.type == "exact":
        return _by_pattern(rule, "/" + site.rest, site.root)
    if site.filename is None or site.project is None or site.version_slug is None:
        return None
    version_root = site.version_root
    filename = site.filename
    if rule.type == "page":
        return _by_pattern(rule, "/" + filename, version_root.rstrip("/"))
    if rule.type == "clean_url_to_html" and filename.endswith("/"):
        return _local(version_root, quote(filename[:-1], safe=URL_SAFE) + ".html")
    if rule.type == "html_to_clean_url" and filename.endswith(".html"):
        stem = filename[: -len(".html")]
        if stem == "index" or stem.endswith("/index"):
            stem = stem[: -len("index")]
        else:
            stem += "/"
        return _local(version_root, quote(stem, safe=URL_SAFE))
    return None


def _by_pattern(rule: Redirect, path: str, base: str) -> str | None:
    """Match ``path`` against ``from_url`` (``*`` = any rest); the target is ``to_url`` below ``base``."""
    pattern = rule.from_url
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        if path.startswith(prefix):
            splat = path[len(prefix) :]
        elif (path.rstrip("/") + "/").startswith(prefix):
            splat = ""
        else:
            return None
    elif "/" + path.strip("/") == pattern:
        splat = ""
    else:
        return None
    splat = quote(splat, safe=URL_SAFE)
    if _ABSOLUTE.match(rule.to_url):
        return _absolute(rule.to_url, splat)
    return _local(base, rule.to_url.replace(":splat", splat))


def _local(base: str, path: str) -> str:
    """A path on this host: ``base`` + ``path``, cleaned so no browser can read it as another host."""
    path = _UNSAFE.sub("", path.replace("\\", "/"))
    location = base.rstrip("/") + "/" + path.lstrip("/")
    return "/" + location.lstrip("/")


def _absolute(template: str, splat: str) -> str | None:
    """``to_url`` with its own scheme and host; the splat may only land after the host."""
    parts = urlsplit(template)
    if ":splat" in parts.netloc or not parts.netloc:
        return None
    rest = template[len(f"{parts.scheme}://{parts.netloc}") :].replace(":splat", splat)
    return f"{parts.scheme}://{parts.netloc}{_UNSAFE.sub('', rest)}"


def with_query(location: str) -> str:
    """Carry the request's query string over, before any fragment of the target."""
    query = request.query_string.decode("latin-1")
    if not query:
        return location
    base, hash_, fragment = location.partition("#")
    base += ("&" if "?" in base else "?") + query
    return base + hash_ + fragment


def is_loop(current: str, first: Match, step: Callable[[str], Match | None]) -> bool:
    """Follow redirects from ``first`` the way a browser would; True when they lead back to ``current``
    or never end. A cycle further down the chain is not this URL's loop: that URL refuses it itself.

    ``current`` and the paths given to ``step`` are decoded; ``step(path)`` tells which user redirect a
    request for ``path`` (on this host) would get.
    """
    seen = {current}
    location = first.location
    for _ in range(MAX_HOPS):
        if _ABSOLUTE.match(location):
            return False
        path = unquote(location)
        if path in seen:
            return path == current
        seen.add(path)
        following = step(path)
        if following is None:
            return False
        location = following.location
    return True


def response(match: Match, *, private: bool) -> Response:
    out = redirect(with_query(match.location), code=match.rule.http_status)
    out.headers[REDIRECT_HEADER] = "user"
    out.headers["Cache-Control"] = "private, no-cache" if private else "no-cache"
    return out
