"""/api/v3/projects/<project>/translations/: the projects whose main-language project is this one.

Read the Docs' v3 API has no write route for translations; they are linked through
:func:`app.services.translations.set_translation`.
"""

from __future__ import annotations

from typing import Any

from app import auth
from app.api.base import ApiView, Blueprint, expanded, paginated
from app.api.projects.resources import PROJECT_EXPAND
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
