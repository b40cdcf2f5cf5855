"""/api/v3/projects/ and the project-level actions."""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth, policy
from app.api import rendering
from app.api.base import ApiView, Blueprint, api_url, expanded, paginated
from app.api.conditional import State, conditional, conditional_page
from app.api.pagination import page_args
from app.api.projects.schemas import (
    ProjectCreateSchema,
    ProjectQueryArgsSchema,
    ProjectSchema,
    ProjectUpdateSchema,
    SyncVersionsSchema,
)
from app.errors import NotFound, ValidationError
from app.models import Project
from app.services import projects as service
from app.services import translations, validators

blp = Blueprint("projects", __name__, url_prefix="/api/v3/projects", description="Projects")
#: The representation's expandable paths (ProjectSchema, and the versions it embeds).
PROJECT_EXPAND = (
    "active_versions", "active_versions.last_build", "active_versions.last_build.config", "permissions"
)


def project_query() -> Any:
    stmt = service.base_query()
    if expanded("active_versions"):
        stmt = service.with_active_versions(stmt, expanded("active_versions.last_build"))
    return stmt


def load_project(slug: str) -> Project:
    """Readable project with the eager loads this request's ``expand`` asks for (one lookup)."""
    return auth.readable_project(slug, project_query())


def project_shape() -> validators.ProjectShape:
    """The parts of the representation this request expands (what its validator must read)."""
    viewer = None
    if expanded("permissions"):
        user = auth.current_user()
        viewer = (user.id, user.is_admin) if user is not None else (None, False)
    return validators.ProjectShape(
        active_versions=expanded("active_versions"),
        last_build=expanded("active_versions.last_build"),
        build_config=expanded("active_versions.last_build.config"),
        viewer=viewer,
    )


def project_state(project_slug: str) -> State | None:
    return validators.project(project_slug, auth.current_principal(), project_shape())


def project_page_state(stmt: Any) -> State:
    return validators.project_page(stmt, *page_args(), project_shape())


def superproject_state(project_slug: str) -> State | None:
    return validators.superproject(project_slug, auth.current_principal(), project_shape())


@blp.route("/")
class ProjectList(ApiView):
    scopes = {"get": "projects:read", "post": "projects:write"}
    cached = ("get",)
    expand = PROJECT_EXPAND

    @blp.arguments(ProjectQueryArgsSchema, location="query")
    @blp.errors(401)
    @paginated(blp, ProjectSchema)
    @conditional_page(project_page_state, render=rendering.project_page)
    def get(self, args: dict[str, Any]) -> Any:
        """List the projects you maintain (``?shared=true``: those shared with you; an administrator sees
        every project, ``?mine=true`` their own)"""
        stmt = service.listed_for(auth.require_principal(), args)
        if expanded("active_versions"):
            stmt = service.with_active_versions(stmt, expanded("active_versions.last_build"))
        return stmt

    @blp.arguments(ProjectCreateSchema)
    @blp.response(201, ProjectSchema)
    @blp.errors(400, 401)
    def post(self, data: dict[str, Any]) -> Any:
        """Import a project"""
        user = auth.require_user()
        project = service.create_project(user, data)
        return load_project(project.slug), 201, {"Location": api_url("projects", project.slug)}


@blp.route("/<project_slug>/")
class ProjectDetail(ApiView):
    scopes = {
        "get": "projects:read", "patch": "projects:write", "put": "projects:write", "delete": "projects:write"
    }
    anonymous = cached = ("get",)
    expand = PROJECT_EXPAND

    @conditional(project_state, render=rendering.project)
    @blp.response(200, ProjectSchema)
    @blp.errors(404)
    def get(self, project_slug: str) -> Project:
        """Show a project"""
        return load_project(project_slug)

    @conditional(project_state)
    @blp.arguments(ProjectUpdateSchema)
    @blp.response(204)
    @blp.errors(400, 401, 403, 404)
    def patch(self, data: dict[str, Any], project_slug: str) -> Response:
        """Update a project (partial); ``translation_of`` links it to its main-language project"""
        update(auth.writable_project(project_slug), data)
        return Response(status=204)

    @conditional(project_state)
    @blp.arguments(ProjectCreateSchema)
    @blp.response(204)
    @blp.errors(400, 401, 403, 404)
    def put(self, data: dict[str, Any], project_slug: str) -> Response:
        """Update a project (whole)"""
        update(auth.writable_project(project_slug), data)
        return Response(status=204)

    @conditional(project_state)
    @blp.response(204)
    @blp.errors(401, 403, 404)
    @blp.alt_response(409, description="A build is running")
    def delete(self, project_slug: str) -> Response:
        """Delete a project and its built documentation"""
        service.delete_project(auth.writable_project(project_slug))
        return Response(status=204)


def update(project: Project, data: dict[str, Any]) -> None:
    """The translation rules first, so a refused link or language changes nothing; a link sent with a
    new language is judged in that language, so it follows the fields' update."""
    link = "translation_of" in data
    main_slug = data.pop("translation_of", None)
    if "language" in data:
        translations.check_language(project, data["language"])
    if link and "language" not in data:
        translations.set_translation_of(project, main_slug, auth.current_principal())
    service.update_project(project, data)
    if link and "language" in data:
        translations.set_translation_of(project, main_slug, auth.current_principal())


@blp.route("/<project_slug>/superproject/")
class ProjectSuperproject(ApiView):
    scopes = {"get": "projects:read"}
    anonymous = cached = ("get",)
    expand = PROJECT_EXPAND

    @conditional(superproject_state, render=rendering.project)
    @blp.response(200, ProjectSchema)
    @blp.alt_response(404, description="No such project, or it is not a subproject")
    def get(self, project_slug: str) -> Project:
        """Show the project this one is a subproject of"""
        parent = service.superproject_of(auth.readable_project(project_slug))
        if parent is None or not policy.can_read(auth.current_principal(), parent):
            raise NotFound("This project is not a subproject.")
        return load_project(parent.slug)


@blp.route("/<project_slug>/sync-versions/")
class ProjectSyncVersions(ApiView):
    scopes = {"post": "projects:write"}

    @blp.response(202, SyncVersionsSchema)
    @blp.alt_response(400, description="The project cannot sync versions")
    @blp.errors(401, 403)
    def post(self, project_slug: str) -> Any:
        """Sync versions from the repository's branches and tags"""
        project = auth.writable_project(project_slug)
        if not service.request_sync_versions(project):
            raise ValidationError("The project has no repository to sync from.", extra={"triggered": False})
        return {"triggered": True}, 202
