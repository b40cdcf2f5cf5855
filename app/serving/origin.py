"""Two origins: the app's (API, browsable API, login, device pages) and the docs' (built sites).

A project's content (its HTML, scripts, SVG, downloads) is written by whoever can push to its
repository. Served from the app's origin, a script in it would run with a logged-in reader's session:
read the browsable API's CSRF token, list another project's secrets, create a token. So built docs
are served only from the docs origin (``DOCS_URL``, or ``<project>.<DOCS_DOMAIN>`` hosts), which
holds no session, CSRF token or API; the app's origin answers docs paths with a redirect there.

:func:`split_origins` runs before every other step of the request pipeline (:mod:`app.pipeline`), so
nothing of the app (authentication, rate limits, the read cache) runs for a request it is going to
refuse or send away.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import current_app, redirect, request
from werkzeug.wrappers import Response

from app.problems import problem
from app.serving.resolver import host_project_slug, preview_site
from app.urls import docs_prefix

#: Paths of the docs origin besides the docs prefix: addons, downloads, the client script, the
#: credential handover (``/_/auth/``).
DOCS_ROOT_PREFIX = "/_/"


def docs_base() -> str | None:
    """The docs origin's base URL (``DOCS_URL``) without a trailing slash, or None when not configured."""
    configured = current_app.config.get("DOCS_URL")
    return str(configured).rstrip("/") if configured else None


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def is_docs_host(host: str) -> bool:
    """Whether a request's ``Host`` is the docs origin's (path-based), a ``<project>.<DOCS_DOMAIN>`` or a
    pull request's preview host (:mod:`app.serving.previews`)."""
    base = docs_base()
    if base is not None and host.lower() == _netloc(base):
        return True
    return host_project_slug(host) is not None or preview_site(host) is not None


def is_docs_url(url: str) -> bool:
    """Whether an absolute URL points at the docs origin (the credential handover's ``next``)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and is_docs_host(parts.netloc)


def is_docs_path(path: str) -> bool:
    prefix = docs_prefix()
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        return True
    return path.startswith(DOCS_ROOT_PREFIX)


def configured() -> bool:
    return docs_base() is not None or bool(current_app.config.get("DOCS_DOMAIN"))


def split_origins(docs_host: bool) -> Response | None:
    """Docs only on the docs origin, the app only on the app origin; docs paths on the app origin
    are redirected (same path and query), other paths on the docs origin are not found.

    ``docs_host``: :func:`is_docs_host` of the request's host, which the pipeline asks once (it runs
    this first, right after assigning the request id that its refusals carry)."""
    path = request.path
    if docs_host:
        if host_project_slug(request.host) is not None or preview_site(request.host) or is_docs_path(path):
            return None
        return problem(404, "Not found. This is the documentation origin: the API and the dashboard "
                            "are served from the app's own URL.", code="not_on_docs_origin")
    if not is_docs_path(path):
        return None
    base = docs_base()
    if base is None:
        if current_app.config.get("DOCS_DOMAIN"):
            return None  # host-based docs only: the resolver's URLs already point there
        return problem(404, "Built documentation is not served: no documentation origin is configured "
                            "(set DOCSHELF_DOCS_URL to a URL on another host).", code="no_docs_origin")
    target = base + request.full_path if request.query_string else base + path
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


def check_origins(public_url: str | None, docs_url: str | None) -> None:
    """Refuse a docs origin that is the app's own (docs would then be served where sessions live);
    warn when only the port differs (browsers share cookies across ports)."""
    if not public_url or not docs_url:
        return
    app_parts, docs_parts = urlsplit(public_url), urlsplit(docs_url)
    if app_parts.netloc.lower() == docs_parts.netloc.lower():
        raise RuntimeError(f"DOCSHELF_DOCS_URL ({docs_url}) must not be the app's own origin "
                           f"(DOCSHELF_PUBLIC_URL {public_url}): built docs need a host of their own.")
    if (app_parts.hostname or "").lower() == (docs_parts.hostname or "").lower():
        logging.getLogger(__name__).warning(
            "the docs origin %s differs from the app's %s only by its port: browsers share cookies across "
            "ports, so give the docs another host name", docs_url, public_url)


def init_app(app: object) -> None:
    """Check the two origins (the request pipeline, :mod:`app.pipeline`, runs :func:`split_origins`
    ahead of everything else)."""
    from flask import Flask

    assert isinstance(app, Flask)
    check_origins(app.config.get("PUBLIC_URL"), app.config.get("DOCS_URL"))
