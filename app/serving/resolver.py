"""A request for built docs → the project, version and file it names (the way back is :mod:`app.urls`).

Every project's documentation lives under a *root*: ``<prefix>/<slug>`` path-based, the bare host
``<slug>.<DOCS_DOMAIN>`` host-based, and ``<parent root>/projects/<alias>`` for a subproject. Under the
root, the versioning scheme decides: ``/<lang>/<version>/<file>`` (with translations; other languages
are the main project's translations), ``/<version>/<file>`` (without), or ``/<file>`` (single version,
served from the default version). Translations keep working under their own slug as well, because
that is the URL the API advertises for them (:func:`app.urls.docs_url`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from flask import has_request_context, request
from sqlalchemy import select

from app.extensions import db
from app.models import Project, ProjectRelationship, Version
from app.models.version import find_version
from app.services import domains
from app.urls import URL_SAFE, WITHOUT_TRANSLATIONS, docs_domain, external_docs_domain, version_path

#: A preview host's first label: ``<project>--<pull request number>`` (:mod:`app.serving.previews`).
_PREVIEW_LABEL = re.compile(r"^([a-z0-9][a-z0-9_-]*?)--([1-9][0-9]{0,9})$")


@dataclass
class Site:
    """Where a request landed, relative to the root of the project that owns the URL space."""

    owner: Project  # the project whose root the path is under (top project or subproject child)
    root: str  # URL path of that root as requested, without trailing slash ("" host-based)
    rest: str  # the path below the root, without leading slash (what exact redirects match)
    project: Project | None = None  # whose files are served (owner, or a translation); None if unknown
    version_slug: str | None = None
    filename: str | None = None  # path inside the version; None when the URL has no version part
    redirect: str | None = None  # a system redirect (root → default version)

    @property
    def version_root(self) -> str:
        """URL path of the served version's root, with trailing slash."""
        assert self.project is not None and self.version_slug is not None
        return self.root + version_path(self.owner, self.project, self.version_slug)


#: Per request (``request.environ``): host → the project slug it names, so the several asks of one
#: request (origin split, pipeline, dispatch, addons) cost one lookup; never kept across requests.
_HOSTS_SEEN = "docshelf.host_projects"


def host_project_slug(host: str) -> str | None:
    """The project slug of a ``<slug>.<DOCS_DOMAIN>`` host or of a project's custom domain
    (:mod:`app.services.domains`), else None (the host is not a project's host)."""
    domain = docs_domain()
    if domain:
        name = domains.host_name(host)
        suffix = "." + domain
        if name.endswith(suffix):
            slug = name[: -len(suffix)]
            return slug if slug and "." not in slug else None
    return custom_domain_slug(host)


def custom_domain_slug(host: str) -> str | None:
    """The project slug of a custom domain ``host``, else None."""
    if not has_request_context():
        return domains.project_slug_for_host(host)
    seen = request.environ.setdefault(_HOSTS_SEEN, {})
    if host not in seen:
        seen[host] = domains.project_slug_for_host(host)
    return seen[host]


def preview_site(host: str) -> tuple[str, str] | None:
    """(project slug, PR number) of a ``<project>--<number>.<EXTERNAL_DOCS_DOMAIN>`` host, else None."""
    domain = external_docs_domain()
    if not domain:
        return None
    name = domains.host_name(host)
    if not name.endswith("." + domain):
        return None
    match = _PREVIEW_LABEL.match(name[: -len(domain) - 1])
    return (match.group(1), match.group(2)) if match else None


def get_project(slug: str) -> Project | None:
    return db.session.scalar(select(Project).where(Project.slug == slug))


def servable_version(project: Project, slug: str) -> Version | None:
    """The version when the docs server serves it (:attr:`~app.models.Version.servable`), else None.

    Never a pull request's (``external``) version: previews are served only on their own hosts
    (:mod:`app.serving.previews`), never mixed with the real versions.
    """
    version = find_version(project, slug)
    return version if version is not None and version.servable and version.type != "external" else None


def default_version_slug(project: Project) -> str:
    """The project's default version when it can be served, else ``latest`` (Read the Docs' fallback)."""
    slug = project.default_version or "latest"
    return slug if servable_version(project, slug) is not None else "latest"


def language_project(owner: Project, language: str) -> Project | None:
    """The project serving ``language`` under ``owner``'s root: itself, its main project or a translation."""
    if language == owner.language:
        return owner
    main = owner.main_language_project or owner
    if language == main.language:
        return main
    return db.session.scalar(
        select(Project)
        .where(Project.main_language_project_id == main.id, Project.language == language)
        .order_by(Project.id)
        .limit(1)
    )


def unresolve(top: Project, path: str, root: str) -> Site:
    """Parse ``path`` (already :func:`app.serving.paths.clean`) below ``top``'s root ``root``."""
    owner, rest = top, path
    head, _, remainder = rest.partition("/")
    if head == "projects" and remainder:
        alias, _, below = remainder.partition("/")
        child = _subproject(top, alias)
        if child is not None:
            owner, root, rest = child, f"{root}/projects/{alias}", below
    site = Site(owner=owner, root=root, rest=rest)
    if owner.single_version:
        site.project, site.version_slug, site.filename = owner, default_version_slug(owner), rest
        return site
    if owner.versioning_scheme == WITHOUT_TRANSLATIONS:
        site.project = owner
        slug, sep, filename = rest.partition("/")
        if not slug:
            site.redirect = f"{root}/{default_version_slug(owner)}/"
        elif slug == owner.language and servable_version(owner, slug) is None:
            # The API once advertised ``/<lang>/<version>/`` for every scheme: send such links home.
            site.redirect = f"{root}/{quote(filename, safe=URL_SAFE)}"
        else:
            site.version_slug, site.filename = slug, filename if sep else ""
        return site
    language, _, after = rest.partition("/")
    if not language:
        site.redirect = f"{root}/{owner.language}/{default_version_slug(owner)}/"
        return site
    site.project = language_project(owner, language)
    slug, sep2, filename = after.partition("/")
    if not slug:
        if site.project is not None:
            site.redirect = f"{root}/{language}/{default_version_slug(site.project)}/"
        return site
    site.version_slug, site.filename = slug, filename if sep2 else ""
    return site


def _subproject(parent: Project, alias: str) -> Project | None:
    relation = db.session.scalar(
        select(ProjectRelationship).where(
            ProjectRelationship.parent_id == parent.id, ProjectRelationship.alias == alias
        )
    )
    return relation.child if relation is not None else None
