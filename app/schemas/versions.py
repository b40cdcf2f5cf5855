"""How a version looks in JSON (Read the Docs' v3 version)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from app.models import Version
from app.models.version import DOWNLOAD_FORMATS
from app.safety.url_credentials import without_userinfo
from app.services.versions import alias_of
from app.urls import api_url, docs_site_url, docs_url, site_url


class VersionRepresentation(Schema):
    id = fields.Integer()
    slug = fields.String()
    verbose_name = fields.String()
    identifier = fields.String()
    ref = fields.String(allow_none=True)
    built = fields.Boolean()
    active = fields.Boolean()
    hidden = fields.Boolean()
    type = fields.String()
    privacy_level = fields.String()
    aliases = fields.Method("get_aliases")
    #: Read the Docs' field: ``external`` for a pull request's version, else ``vcs`` (a branch or tag).
    source_type = fields.Method("get_source_type")
    downloads = fields.Method("get_downloads")
    urls = fields.Method("get_urls")
    _links = fields.Method("get_links", data_key="_links")

    def get_aliases(self, version: Version) -> list[dict[str, Any]]:
        """Read the Docs' answer: ``latest``/``stable`` list the version they stand for, in full."""
        alias = alias_of(version)
        return [] if alias is None else [_ALIAS.dump(alias)]

    def get_source_type(self, version: Version) -> str:
        return "external" if version.type == "external" else "vcs"

    def get_downloads(self, version: Version) -> dict[str, str]:
        p = version.project
        return {
            fmt: docs_site_url("_", "downloads", p.slug, p.language, version.slug, fmt)
            for fmt in DOWNLOAD_FORMATS
            if fmt in (version.built_formats or [])
        }

    def get_urls(self, version: Version) -> dict[str, object]:
        p = version.project
        vcs_ref = version.ref or version.identifier or version.verbose_name
        return {
            "documentation": docs_url(p, version.slug),
            "vcs": f"{without_userinfo(p.repository_url).removesuffix('.git')}/tree/{vcs_ref}",
            "dashboard": {"edit": site_url("dashboard", p.slug, "version", version.slug, "edit")},
        }

    def get_links(self, version: Version) -> dict[str, str]:
        p = version.project.slug
        return {
            "_self": api_url("projects", p, "versions", version.slug),
            "builds": api_url("projects", p, "versions", version.slug, "builds"),
            "project": api_url("projects", p),
        }


_ALIAS = VersionRepresentation()
