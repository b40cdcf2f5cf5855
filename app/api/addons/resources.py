"""/api/v3/projects/<project>/addons/: what the project's docs pages' addons do (Docshelf's own route;
Read the Docs configures these on its dashboard). Readable by whoever reads the project (the docs
pages answer the same values to every reader); changed by its maintainers."""

from __future__ import annotations

from typing import Any

from app import auth
from app.api.addons.schemas import AddonsSettingsSchema, AddonsSettingsUpdateSchema
from app.api.base import ApiView, Blueprint, api_url
from app.models import Project
from app.services import addons_settings as service

blp = Blueprint(
    "addons_settings", __name__, url_prefix="/api/v3/projects/<project_slug>/addons",
    description="The docs pages' addons settings",
)


def _shown(project: Project, settings: dict[str, Any]) -> dict[str, Any]:
    return {**settings, "_links": {"_self": api_url("projects", project.slug, "addons"),
                                   "project": api_url("projects", project.slug)}}


@blp.route("/")
class AddonsSettings(ApiView):
    scopes = {"get": "projects:read", "patch": "projects:write"}
    anonymous = ("get",)

    @blp.response(200, AddonsSettingsSchema)
    @blp.errors(404)
    def get(self, project_slug: str) -> dict[str, Any]:
        """Show the addons settings"""
        project = auth.readable_project(project_slug)
        return _shown(project, service.settings_of(project))

    @blp.arguments(AddonsSettingsUpdateSchema)
    @blp.response(200, AddonsSettingsSchema)
    @blp.errors(400, 401, 403, 404)
    def patch(self, data: dict[str, Any], project_slug: str) -> dict[str, Any]:
        """Change some addons settings (only the keys sent)"""
        project = auth.writable_project(project_slug)
        return _shown(project, service.update_settings(project, data))
