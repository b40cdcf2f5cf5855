"""/api/v3/projects/<project>/domains/ — a project's custom domains.

Reads follow the project's visibility (anonymous for a public project, as redirects); writes need a
maintainer and the ``projects:write`` scope (a domain is a project setting). The detail URL is keyed by
the domain itself, as on Read the Docs' dashboard. The request's own host is passed to the service so
a domain naming the very host the API answers on is refused even without ``DOCSHELF_PUBLIC_URL``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from app import auth
from app.api.base import ApiView, Blueprint, api_url, paginated
from app.api.domains.schemas import DomainCreateSchema, DomainSchema, DomainUpdateSchema
from app.models import Domain
from app.services import domains as service

blp = Blueprint(
    "domains", __name__, url_prefix="/api/v3/projects/<project_slug>/domains", description="Custom domains"
)


@blp.route("/")
class DomainList(ApiView):
    scopes = {"get": "projects:read", "post": "projects:write"}
    anonymous = ("get",)

    @blp.errors(404)
    @paginated(blp, DomainSchema)
    def get(self, project_slug: str) -> Any:
        """List a project's custom domains"""
        return service.domains_query(auth.readable_project(project_slug))

    @blp.arguments(DomainCreateSchema)
    @blp.response(201, DomainSchema)
    @blp.errors(400, 401, 403, 404)
    def post(self, data: dict[str, Any], project_slug: str) -> Any:
        """Add a custom domain"""
        project = auth.writable_project(project_slug)
        domain = service.create_domain(project, data, app_hosts=[request.host])
        return domain, 201, {"Location": api_url("projects", project.slug, "domains", domain.domain)}


@blp.route("/<domain_name>/")
class DomainDetail(ApiView):
    scopes = {"get": "projects:read", "patch": "projects:write", "delete": "projects:write"}
    anonymous = ("get",)

    @blp.response(200, DomainSchema)
    @blp.errors(404)
    def get(self, project_slug: str, domain_name: str) -> Domain:
        """Show a custom domain"""
        return service.get_domain(auth.readable_project(project_slug), domain_name)

    @blp.arguments(DomainUpdateSchema)
    @blp.response(200, DomainSchema)
    @blp.errors(400, 401, 403, 404)
    def patch(self, data: dict[str, Any], project_slug: str, domain_name: str) -> Domain:
        """Change whether a domain is canonical or served over https"""
        domain = service.get_domain(auth.writable_project(project_slug), domain_name)
        return service.update_domain(domain, data)

    @blp.response(204)
    @blp.errors(401, 403, 404)
    def delete(self, project_slug: str, domain_name: str) -> Response:
        """Remove a custom domain"""
        service.delete_domain(service.get_domain(auth.writable_project(project_slug), domain_name))
        return Response(status=204)
