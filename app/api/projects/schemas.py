"""Project representation, query arguments and request bodies."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import (
    ExpandMethod,
    FlexSchema,
    UTCDateTimeField,
    api_url,
    current_user_or_none,
    docs_url,
    site_url,
)
from app.api.versions.schemas import VersionSchema
from app.languages import LANGUAGES, PROGRAMMING_LANGUAGES
from app.models import Project
from app.models.project import PRIVACY_LEVELS, VERSIONING_SCHEMES
from app.security.url_credentials import masked
from app.services.repositories import describe

_EMBED_VERSIONS = VersionSchema(many=True)


def project_ref(project: Project | None) -> dict[str, Any] | None:
    """How a related project (superproject, main translation) is embedded: its slug and links."""
    if project is None:
        return None
    return {"slug": project.slug, "_links": {"_self": api_url("projects", project.slug)}}


class ProjectSchema(FlexSchema):
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
    users = fields.Method("get_users")
    _links = fields.Method("get_links", data_key="_links")
    active_versions = ExpandMethod("get_active_versions")
    permissions = ExpandMethod("get_permissions")

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
        return {
            "documentation": docs_url(p, p.default_version),
            "home": p.homepage or site_url("projects", p.slug),
            "builds": site_url("projects", p.slug, "builds"),
            "versions": site_url("projects", p.slug, "versions"),
            "downloads": site_url("projects", p.slug, "downloads"),
        }

    def get_users(self, p: Project) -> list[dict[str, str]]:
        return [{"username": u.username} for u in p.users]

    def get_links(self, p: Project) -> dict[str, str]:
        s = p.slug
        return {
            "_self": api_url("projects", s),
            "versions": api_url("projects", s, "versions"),
            "builds": api_url("projects", s, "builds"),
            "environmentvariables": api_url("projects", s, "environmentvariables"),
            "redirects": api_url("projects", s, "redirects"),
            "subprojects": api_url("projects", s, "subprojects"),
            "superproject": api_url("projects", s, "superproject"),
            "translations": api_url("projects", s, "translations"),
            "notifications": api_url("projects", s, "notifications"),
            "sync_versions": api_url("projects", s, "sync-versions"),
        }

    def get_active_versions(self, p: Project) -> list[dict[str, Any]]:
        # Filtered in Python over the eager-loaded versions: no query per project.
        versions = [v for v in p.versions if v.active and v.built and v.privacy_level == "public"]
        return _EMBED_VERSIONS.dump(versions)

    def get_permissions(self, p: Project) -> dict[str, bool]:
        user = current_user_or_none()
        return {"admin": user is not None and (user.is_admin or p.is_maintainer(user))}


def _url_or_empty(value: str | None) -> None:
    if value:
        validate.URL(schemes={"http", "https"})(value)
        validate.Length(max=255)(value)


class ProjectQueryArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    language = fields.String()
    programming_language = fields.String()


class RepositoryCredentialsSchema(Schema):
    """Write-only: an HTTPS ``token`` (``username`` optional) or an SSH deploy key (``ssh_key``)."""

    class Meta:
        unknown = EXCLUDE

    token = fields.String(load_only=True, metadata={"description": "HTTPS access token; never returned."})
    username = fields.String(
        load_only=True, metadata={"description": "User name sent with the token; default x-access-token."}
    )
    ssh_key = fields.String(
        load_only=True, metadata={"description": "Private deploy key without passphrase; never returned."}
    )


_CREDENTIALS_HELP = (
    "Write-only clone credentials; null removes them. Reads show only {kind, set}. "
    "Moving the URL to another host needs them again."
)


class RepositorySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    url = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    type = fields.String(load_default="git", validate=validate.OneOf(["git"]))
    credentials = fields.Nested(
        RepositoryCredentialsSchema, allow_none=True, metadata={"description": _CREDENTIALS_HELP}
    )


class RepositoryUpdateSchema(RepositorySchema):
    url = fields.String(validate=validate.Length(min=1, max=2048))
    type = fields.String(validate=validate.OneOf(["git"]))


class ProjectCreateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, validate=validate.Length(min=1, max=63))
    repository = fields.Nested(RepositorySchema, required=True)
    homepage = fields.String(allow_none=True, validate=_url_or_empty)
    language = fields.String(validate=validate.OneOf(list(LANGUAGES)))
    programming_language = fields.String(validate=validate.OneOf(list(PROGRAMMING_LANGUAGES)))
    default_version = fields.String(validate=validate.Length(min=1, max=255))
    default_branch = fields.String(allow_none=True, validate=validate.Length(max=255))
    privacy_level = fields.String(validate=validate.OneOf(PRIVACY_LEVELS))
    external_builds_privacy_level = fields.String(validate=validate.OneOf(PRIVACY_LEVELS))
    readthedocs_yaml_path = fields.String(allow_none=True, validate=validate.Length(max=1024))
    versioning_scheme = fields.String(validate=validate.OneOf(VERSIONING_SCHEMES))
    single_version = fields.Boolean()
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=50)
    )


class ProjectUpdateSchema(ProjectCreateSchema):
    """PATCH: every field optional (the slug never changes)."""

    name = fields.String(validate=validate.Length(min=1, max=63))
    repository = fields.Nested("RepositoryUpdateSchema")


class SyncVersionsSchema(Schema):
    triggered = fields.Boolean()
