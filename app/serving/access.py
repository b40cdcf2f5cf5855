"""Who may read which docs, and how a refusal looks to a browser versus an API client.

The rules are :mod:`app.auth`'s (admin, maintainer or read grant for private projects and versions);
this module only adapts them to serving: a bad credential on a public page is ignored rather than
failing the page, a browser without a docs credential is sent to the app origin to get one
(:mod:`app.serving.docs_auth`, which asks it to log in first if needed), an API client (JSON
``Accept`` or credentials in a header) gets the error contract's 401, and a signed-in reader without
access sees the same 404 as for a missing page, so private slugs do not leak.

On a pull request's preview host the reader's credential reads that preview and nothing else: the page
runs the PR's scripts (anyone's) in the reader's browser, and everything the host's ``/_/`` routes
(addons, embed, search, downloads) would give out under the reader's name, those scripts could read and
send away. So there, other versions and projects are answered as to an anonymous reader.
"""

from __future__ import annotations

from flask import g, has_request_context, redirect, request
from werkzeug.wrappers import Response

from app import auth
from app.errors import DocshelfError
from app.models import Project, User, Version
from app.problems import problem
from app.serving import docs_auth
from app.serving.resolver import custom_domain_slug, preview_site


def viewer() -> User | None:
    """The reader: a token (header), or this origin's own docs credential (never the app's session);
    an invalid credential reads as anonymous."""
    if "docs_viewer" in g:
        return g.docs_viewer
    g.docs_viewer = None
    if auth.header_key() is None:
        g.docs_viewer = docs_auth.grant_user()
        return g.docs_viewer
    try:
        user = auth.current_user()
        if user is not None:
            auth.check_scope("projects:read")
    except DocshelfError:
        return None
    g.docs_viewer = user
    return user


def on_preview_host() -> bool:
    """Whether this request came to a pull request's preview host (see the module's docstring)."""
    return preview_site(request.host) is not None


def wide_viewer() -> User | None:
    """The reader for answers spanning projects (search): anonymous on a preview host."""
    return None if on_preview_host() else viewer()


def _reader_for(project: Project, version: Version | None) -> User | None:
    site = preview_site(request.host)
    if site is None:
        return viewer()
    if project.slug != site[0] or (version is not None and (version.type != "external"
                                                            or version.slug != site[1])):
        return None  # not the preview this host serves
    return viewer()


def outside_custom_domain(project: Project) -> bool:
    """On a project's custom domain, whether ``project`` lives outside that project's URL space.

    A custom domain is a site of its own, holding its own docs cookie: it answers for its project
    (with the translations and subprojects under its root) and nothing else, not even through the
    ``/_/`` routes that take a project's slug (downloads, addons, embed, search). Otherwise a
    script on ``docs.a.com`` could read project B's private docs with a reader's cookie for that host.
    """
    if not has_request_context():
        return False
    slug = custom_domain_slug(request.host)
    if slug is None:
        return False
    owner = project.main_language_project or project
    relation = owner.superproject_relation
    top = relation.parent if relation is not None else owner
    return top.slug != slug and project.slug != slug


def can_view(project: Project, version: Version | None = None) -> bool:
    """Public docs never look at credentials (no session access, so no ``Vary: Cookie`` on them)."""
    if outside_custom_domain(project):
        return False
    if project.privacy_level == "public" and (version is None or version.privacy_level == "public"):
        return True
    return auth.has_private_access(_reader_for(project, version), project)


def is_private(project: Project, version: Version | None = None) -> bool:
    """Whether a response depends on who asks (so shared caches must not keep it)."""
    return project.privacy_level != "public" or (version is not None and version.privacy_level != "public")


def wants_json() -> bool:
    """API clients: credentials in a header, or JSON preferred over HTML."""
    if "Authorization" in request.headers or "X-API-Key" in request.headers:
        return True
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/html")


def login_url() -> str:
    """The app origin's credential handover, which brings the reader back to this very URL."""
    return docs_auth.handover_url(request.url)


def deny(not_found: Response) -> Response:
    """The refusal for a reader who may not see this: login/401 when anonymous, else ``not_found``."""
    if viewer() is not None:
        return not_found
    if wants_json():
        return problem(401, "Authentication credentials were not provided.")
    response = redirect(login_url(), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response
