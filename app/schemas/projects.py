"""How a project looks in JSON (Read the Docs' v3 project)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from app.languages import LANGUAGES, PROGRAMMING_LANGUAGES
from app.models import Project
from app.safety.url_credentials import masked
from app.schemas.fields import UTCDateTimeField
from app.services.repositories import describe
from app.urls import api_url, docs_url, site_url


def project_ref(project: Project | None) -> dict[str, Any] | None:
    """How a related project (superproject, main translation) is embedded: its slug and links."""
    if project is None:
        return None
    return {"slug": project.slug, "_links": {"_self": api_url("projects", project.slug)}}


#: The project's ``_links`` below its own URL, by path (the link's name has ``_`` for ``-``).
PROJECT_LINKS = ("versions", "builds", "environmentvariables", "redirects", "subprojects", "superproject",
                 "translations", "notifications", "sync-versions")


class ProjectRepresentation(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    created = UTCDateTimeField()
    modified = UTCDateTimeField()
    language = fields.Method("get_language")
    programming_language = fields.Method("get_programming_language")
    homepage = fields.Method("get_homepage")
    repository = fields.Method("get_repository")
    default_version = fields.String()
    default_branch = fields.String(allow_none=True)
    subproject_of = fields.Method("get_subproject_of")
    translation_of = fields.Method("get_translation_of")
    urls = fields.Method("get_urls")
    tags = fields.List(fields.String())
    privacy_level = fields.String()
    external_builds_privacy_level = fields.String()
    readthedocs_yaml_path = fields.String(allow_none=True)
    versioning_scheme = fields.String()
    single_version = fields.Boolean()
    analytics_code = fields.String(allow_none=True)
    analytics_disabled = fields.Boolean()
    external_builds_enabled = fields.Boolean()
    users = fields.Method("get_users")
    _links = fields.Method("get_links", data_key="_links")

    def get_language(self, p: Project) -> dict[str, str]:
        return {"code": p.language, "name": LANGUAGES.get(p.language, p.language)}

    def get_programming_language(self, p: Project) -> dict[str, str]:
        code = p.programming_language
        return {"code": code, "name": PROGRAMMING_LANGUAGES.get(code, code)}

    def get_homepage(self, p: Project) -> str | None:
        return p.homepage or None

    def get_repository(self, p: Project) -> dict[str, Any]:
        # A token written into an old URL is masked; credentials say only whether they are set.
        return {"url": masked(p.repository_url), "type": p.repository_type, "credentials": describe(p)}

    def get_subproject_of(self, p: Project) -> dict[str, Any] | None:
        relation = p.superproject_relation
        return project_ref(relation.parent if relation else None)

    def get_translation_of(self, p: Project) -> dict[str, Any] | None:
        return project_ref(p.main_language_project)

    def get_urls(self, p: Project) -> dict[str, str]:
        page = site_url("projects", p.slug)
        return {
            "documentation": docs_url(p, p.default_version),
            "home": p.homepage or page,
            "builds": page + "builds/",
            "versions": page + "versions/",
            "downloads": page + "downloads/",
        }

    def get_users(self, p: Project) -> list[dict[str, str]]:
        return [{"username": u.username} for u in p.users]

    def get_links(self, p: Project) -> dict[str, str]:
        own = api_url("projects", p.slug)  # every link below it: joined once, not ten times
        links = {"_self": own}
        links.update((path.replace("-", "_"), f"{own}{path}/") for path in PROJECT_LINKS)
        return links
