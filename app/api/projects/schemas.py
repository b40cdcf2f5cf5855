"""Project representation, query arguments and request bodies."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from app.api.base import BoolArg, ExpandMethod, FlexSchema
from app.api.versions.schemas import VersionSchema
from app.auth import current_user
from app.languages import LANGUAGES, PROGRAMMING_LANGUAGES
from app.models import Project
from app.models.project import PRIVACY_LEVELS, VERSIONING_SCHEMES
from app.schemas import ProjectRepresentation

_EMBED_VERSIONS = VersionSchema(many=True)


class ProjectSchema(FlexSchema, ProjectRepresentation):
    """A project as :mod:`app.schemas` represents it, plus what the API expands on request."""

    active_versions = ExpandMethod("get_active_versions")
    permissions = ExpandMethod("get_permissions")

    def get_active_versions(self, p: Project) -> list[dict[str, Any]]:
        # Filtered in Python over the eager-loaded versions: no query per project.
        versions = [v for v in p.versions if v.active and v.built and v.privacy_level == "public"
                    and v.type != "external"]  # pull requests' previews are not the project's versions
        return _EMBED_VERSIONS.dump(versions)

    def get_permissions(self, p: Project) -> dict[str, bool]:
        user = current_user()
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
    name = fields.String(metadata={"description": "Projects whose name contains this (any case)."})
    slug = fields.String(metadata={"description": "Projects whose slug contains this (any case)."})
    shared = BoolArg(metadata={"description": "List the projects others shared with you (read grants)."})
    mine = BoolArg(metadata={"description": "For an administrator: only the projects you maintain."})


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
    """PATCH: every field optional (the slug never changes), plus Read the Docs' update-only settings
    and ``translation_of`` (the main project's slug; null unlinks)."""

    name = fields.String(validate=validate.Length(min=1, max=63))
    repository = fields.Nested("RepositoryUpdateSchema")
    analytics_code = fields.String(
        allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{0,50}$"),
        metadata={"description": "Google Analytics id added to the docs pages (G-XXXXXXX); empty: none."},
    )
    analytics_disabled = fields.Boolean()
    external_builds_enabled = fields.Boolean(metadata={"description": "Build pull/merge requests."})
    translation_of = fields.String(
        allow_none=True, validate=validate.Length(min=1, max=63),
        metadata={"description": "Slug of the main-language project this one translates; null unlinks."},
    )


class SyncVersionsSchema(Schema):
    triggered = fields.Boolean()
