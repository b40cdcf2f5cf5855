"""URLs of built docs, both ways: a request path → the project, version and file it names, and back.

Every project's documentation lives under a *root*: ``<prefix>/<slug>`` path-based, the bare host
``<slug>.<DOCS_DOMAIN>`` host-based, and ``<parent root>/projects/<alias>`` for a subproject. Under the
root, the versioning scheme decides: ``/<lang>/<version>/<file>`` (with translations; other languages
are the main project's translations), ``/<version>/<file>`` (without), or ``/<file>`` (single version,
served from the default version). Translations keep working under their own slug as well, because
that is the URL the API advertises for them (``app/api/links.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from flask import current_app, has_request_context, request
from sqlalchemy import select

from app.extensions import db
from app.models import Project, ProjectRelationship, Version
from app.urls import docs_base, public_base

WITH_TRANSLATIONS = "multiple_versions_with_translations"
WITHOUT_TRANSLATIONS = "multiple_versions_without_translations"
#: Characters kept as they are when a decoded path goes back into a URL (not ``?``, ``#`` or ``%``).
URL_SAFE = "/:@!$&'()*+,;=-._~"


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


def docs_prefix() -> str:
    """``DOCS_PREFIX`` with one leading slash and none trailing (``/docs``), or "" for docs at the root."""
    prefix = (current_app.config.get("DOCS_PREFIX") or "").strip("/")
    return f"/{prefix}" if prefix else ""


def docs_domain() -> str | None:
    domain = current_app.config.get("DOCS_DOMAIN")
    return domain.strip().strip(".").lower() if domain else None


def host_project_slug(host: str) -> str | None:
    """The project slug of a ``<slug>.<DOCS_DOMAIN>`` host, else None (the host is not a docs host)."""
    domain = docs_domain()
    if not domain:
        return None
    name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
    suffix = "." + domain
    if not name.endswith(suffix):
        return None
    slug = name[: -len(suffix)]
    return slug if slug and "." not in slug else None


def get_project(slug: str) -> Project | None:
    return db.session.scalar(select(Project).where(Project.slug == slug))


def get_version(project: Project, slug: str) -> Version | None:
    """A servable version: it exists, is active and has been built (hidden ones are served too)."""
    version = db.session.scalar(select(Version).where(Version.project_id == project.id, Version.slug == slug))
    return version if version is not None and version.active and version.built else None


def default_version_slug(project: Project) -> str:
    """The project's default version when it can be served, else ``latest`` (Read the Docs' fallback)."""
    slug = project.default_version or "latest"
    return slug if get_version(project, slug) is not None else "latest"


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


def version_path(owner: Project, project: Project, version_slug: str) -> str:
    """Path of a version's root below the owner's root, per the owner's versioning scheme."""
    if owner.single_version:
        return "/"
    if owner.versioning_scheme == WITHOUT_TRANSLATIONS:
        return f"/{version_slug}/"
    return f"/{project.language}/{version_slug}/"


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
        elif slug == owner.language and get_version(owner, slug) is None:
            # ``/<lang>/<version>/`` is what app/api/links.py advertises for every scheme: send it home.
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


def top_root_url(project: Project) -> str:
    """Absolute URL of a top-level project's root, without trailing slash."""
    domain = docs_domain()
    if domain:
        scheme = urlsplit(public_base()).scheme or (request.scheme if has_request_context() else "https")
        return f"{scheme}://{project.slug}.{domain}"
    return f"{docs_base()}{docs_prefix()}/{project.slug}"  # the docs origin (app.serving.origin)


def canonical_root(project: Project) -> tuple[str, Project]:
    """(absolute root URL, owner) of a project's canonical URL space: translations share their main
    project's root, subprojects live under their parent's."""
    owner = project.main_language_project or project
    relation = owner.superproject_relation
    if relation is not None:
        return f"{top_root_url(relation.parent)}/projects/{relation.alias}", owner
    return top_root_url(owner), owner


def canonical_url(project: Project, version_slug: str, filename: str = "") -> str:
    """The canonical absolute URL of a page (sitemaps, addons without ``url=``)."""
    root, owner = canonical_root(project)
    return root + version_path(owner, project, version_slug) + quote(filename, safe=URL_SAFE)
