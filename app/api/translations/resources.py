"""/api/v3/projects/<project>/translations/: the projects whose main-language project is this one.

Read the Docs' v3 API has no write route for translations. Docshelf links one through its
``translation_of`` (``PATCH /projects/<translation>/``, maintainers of both) and unlinks it there or
here, from the main project's side (``DELETE .../translations/<slug>/``, its maintainers): the
translation stays a project of its own.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from app import auth
from app.api.base import ApiView, Blueprint, expanded, paginated
from app.api.projects.resources import PROJECT_EXPAND, load_project
from app.api.projects.schemas import ProjectSchema
from app.services import translations as service

blp = Blueprint(
    "translations",
    __name__,
    url_prefix="/api/v3/projects/<project_slug>/translations",
    description="Translations",
)


@blp.route("/")
class TranslationList(ApiView):
    scopes = {"get": "projects:read"}
    anonymous = ("get",)
    expand = PROJECT_EXPAND

    @blp.errors(404)
    @paginated(blp, ProjectSchema)
    def get(self, project_slug: str) -> Any:
        """List a project's translations"""
        main = auth.readable_project(project_slug)
        return service.translations_query(
            main,
            auth.current_principal(),
            expanded("active_versions"),
            expanded("active_versions.last_build"),
        )


@blp.route("/<translation_slug>/")
class TranslationDetail(ApiView):
    scopes = {"get": "projects:read", "delete": "projects:write"}
    anonymous = ("get",)
    expand = PROJECT_EXPAND

    @blp.response(200, ProjectSchema)
    @blp.errors(404)
    def get(self, project_slug: str, translation_slug: str) -> Any:
        """Show one of a project's translations"""
        main = auth.readable_project(project_slug)
        return load_project(service.get_translation(main, translation_slug, auth.current_principal()).slug)

    @blp.response(204)
    @blp.errors(401, 403, 404)
    def delete(self, project_slug: str, translation_slug: str) -> Response:
        """Remove a translation from the project (it stays a project of its own)"""
        main = auth.writable_project(project_slug)
        translation = service.get_translation(main, translation_slug, auth.current_principal())
        service.unset_translation(main, translation)
        return Response(status=204)
