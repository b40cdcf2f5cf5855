"""Public URLs: the one place that says where Docshelf is reachable, and the builders on top of it.

The base is ``DOCSHELF_PUBLIC_URL`` when configured, else the current request's host, else (a job or
a command, outside any request) ``http://localhost``. Built docs live on the docs origin
(``DOCSHELF_DOCS_URL``), which falls back to the same base. Links are joined as strings rather than
through ``url_for``: slugs are URL-safe by construction, and a list response carries many links.

The docs URL of a version (:func:`docs_url`) is the one the docs server answers on: the API, the
sitemaps, the addons and the build's ``READTHEDOCS_CANONICAL_URL`` all ask it, and the resolver
(:mod:`app.serving.resolver`) parses requests back into the same URL space.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from flask import current_app, has_request_context, request

from app.context import current_request, request_globals

#: Where Docshelf says it is when nothing configured says otherwise and no request tells.
FALLBACK_BASE = "http://localhost"
#: The versioning scheme whose URLs have no language part (``/<version>/<file>``).
WITHOUT_TRANSLATIONS = "multiple_versions_without_translations"
#: Characters kept as they are when a decoded path goes back into a URL (not ``?``, ``#`` or ``%``).
URL_SAFE = "/:@!$&'()*+,;=-._~"


class UrlRelation(Protocol):
    """What a subproject's URL reads of its relation to the superproject."""

    @property
    def alias(self) -> str: ...

    @property
    def parent(self) -> UrlProject: ...


class UrlProject(Protocol):
    """What a project's docs URL is derived from: a model :class:`~app.models.Project`, or the rows
    the API's validators read (:mod:`app.schemas.rows`), which must give the same URLs."""

    @property
    def slug(self) -> str: ...

    @property
    def language(self) -> str: ...

    @property
    def versioning_scheme(self) -> str: ...

    @property
    def single_version(self) -> bool: ...

    @property
    def main_language_project(self) -> UrlProject | None: ...

    @property
    def superproject_relation(self) -> UrlRelation | None: ...

    @property
    def canonical_url(self) -> str | None: ...


@dataclass(frozen=True)
class Bases:
    """What every URL below is made of, read once: the settings and the request's host."""

    public: str
    docs: str
    docs_prefix: str
    docs_domain: str | None


#: Set while a response is serialised (:func:`fixed_bases`): a 100-item list builds ~2,000 URLs, and
#: reading the settings and the request through Flask's context proxies for each was a tenth of its cost.
_fixed: ContextVar[Bases | None] = ContextVar("url_bases", default=None)


@contextmanager
def fixed_bases() -> Iterator[None]:
    """Within this block (one response's serialisation) the URL bases are read once."""
    token = _fixed.set(current_bases())
    try:
        yield
    finally:
        _fixed.reset(token)


def current_bases() -> Bases:
    """The URL bases, read once per request (kept on ``g``) and set while a response is serialised.

    An ETag, a link and a cached item all ask for them: through Flask's context proxies each read of
    a setting or of the request's host cost more than the string it returns.
    """
    fixed = _fixed.get()
    if fixed is not None:
        return fixed
    if not has_request_context():
        return _read_bases()
    state = request_globals()
    bases: Bases | None = state.get("url_bases")
    if bases is None:
        bases = state.url_bases = _read_bases()
    return bases


def _read_bases() -> Bases:
    # The Host header as sent (ASCII, as Read the Docs' links are): werkzeug's ``host_url`` would turn
    # a punycode host into Unicode, at a cost of a URL parse per request.
    config = current_app.config
    public = _configured(config, "PUBLIC_URL")
    if public is None:
        req = current_request() if has_request_context() else None
        public = f"{req.scheme}://{req.host}" if req is not None else FALLBACK_BASE
    prefix = (config.get("DOCS_PREFIX") or "").strip("/")
    domain = config.get("DOCS_DOMAIN")
    return Bases(public, _configured(config, "DOCS_URL") or public, f"/{prefix}" if prefix else "",
                 domain.strip().strip(".").lower() if domain else None)


def public_base() -> str:
    """Scheme and host (plus any path prefix) of the app origin, without a trailing slash."""
    return current_bases().public


def docs_base() -> str:
    """Scheme and host of the docs origin (downloads, addons, built pages), without a trailing slash."""
    return current_bases().docs


def api_url(*parts: object) -> str:
    """``api_url("projects", "pip", "versions")`` → ``https://host/api/v3/projects/pip/versions/``."""
    return _join(f"{public_base()}/api/v3", parts)


def site_url(*parts: object) -> str:
    return _join(public_base(), parts)


def docs_site_url(*parts: object) -> str:
    """A URL on the docs origin, which serves what projects wrote (never the API or a session)."""
    return _join(docs_base(), parts)


def docs_prefix() -> str:
    """``DOCS_PREFIX`` with one leading slash and none trailing (``/docs``), or "" for docs at the root."""
    return current_bases().docs_prefix


def docs_domain() -> str | None:
    """``DOCS_DOMAIN``, when projects are served host-based (``<slug>.<DOCS_DOMAIN>``)."""
    return current_bases().docs_domain


def version_path(owner: UrlProject, project: UrlProject, version_slug: str) -> str:
    """Path of a version's root below the owner's root, per the owner's versioning scheme."""
    if owner.single_version:
        return "/"
    if owner.versioning_scheme == WITHOUT_TRANSLATIONS:
        return f"/{version_slug}/"
    return f"/{project.language}/{version_slug}/"


def top_root_url(project: UrlProject) -> str:
    """Absolute URL of a top-level project's root, without trailing slash: its canonical custom domain
    when it has one (:class:`app.models.Domain`), else its default docs host or path."""
    if project.canonical_url:
        return project.canonical_url
    domain = docs_domain()
    if domain:
        scheme = urlsplit(public_base()).scheme or (request.scheme if has_request_context() else "https")
        return f"{scheme}://{project.slug}.{domain}"
    return f"{docs_base()}{docs_prefix()}/{project.slug}"  # the docs origin (app.serving.origin)


def external_docs_domain() -> str | None:
    """``EXTERNAL_DOCS_DOMAIN``: pull-request previews are served at ``<project>--<n>.<domain>`` only."""
    domain = current_app.config.get("EXTERNAL_DOCS_DOMAIN")
    return domain.strip().strip(".").lower() if domain else None


def preview_url(project_slug: str, version_slug: str, filename: str = "") -> str | None:
    """Where a pull request's preview is served (its own host), None when previews are not served."""
    domain = external_docs_domain()
    if not domain:
        return None
    scheme = urlsplit(public_base()).scheme or (request.scheme if has_request_context() else "https")
    return f"{scheme}://{project_slug}--{version_slug}.{domain}/" + quote(filename, safe=URL_SAFE)


def canonical_root(project: UrlProject) -> tuple[str, UrlProject]:
    """(absolute root URL, owner) of a project's canonical URL space: translations share their main
    project's root, subprojects live under their parent's."""
    owner = project.main_language_project or project
    relation = owner.superproject_relation
    if relation is not None:
        return f"{top_root_url(relation.parent)}/projects/{relation.alias}", owner
    return top_root_url(owner), owner


def docs_url(project: UrlProject, version_slug: str, filename: str = "") -> str:
    """The canonical absolute URL of a version's built docs (or of one page of them)."""
    root, owner = canonical_root(project)
    return root + version_path(owner, project, version_slug) + quote(filename, safe=URL_SAFE)


def _configured(config: Mapping[str, Any], name: str) -> str | None:
    value = config.get(name)
    return str(value).rstrip("/") if value else None


def _join(base: str, parts: tuple[object, ...]) -> str:
    path = "/".join(str(p) for p in parts)
    return f"{base}/{path}/" if path else f"{base}/"
