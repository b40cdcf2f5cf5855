"""Uploads of docs built elsewhere: a manifest in, the missing files with where to send them out;
the files (checked against the manifest while they stream in); publish.

Every method needs ``builds:upload`` (or a full token) and a maintainer of the project, within the
token's project restriction: uploading is writing the version's site, so even reading a session
(which names upload URLs) is for its writers only.
"""

from __future__ import annotations

from typing import Any

from flask import request

from app import auth
from app.api.base import ApiView, Blueprint, api_url
from app.api.uploads.schemas import ManifestSchema, PublishSchema, UploadSchema
from app.api.views import BINARY
from app.extensions import db
from app.models import Build, Project, UploadSession, Version
from app.models.upload import UPLOAD_OPEN
from app.services import upload_publish, uploads
from app.services import versions as version_service

blp = Blueprint("uploads", __name__, url_prefix="/api/v3/projects/<project_slug>/versions/<version_slug>",
                description="Publishing docs built elsewhere")


def _target(project_slug: str, version_slug: str) -> tuple[Project, Version]:
    project = auth.writable_project(project_slug)
    return project, version_service.get_version(project, auth.current_principal(), version_slug)


def represent(project: Project, version: Version, upload: UploadSession) -> dict[str, Any]:
    missing = uploads.describe_missing(project, version, upload) if upload.state == UPLOAD_OPEN else []
    own = api_url("projects", project.slug, "versions", version.slug, "uploads", upload.id)
    build = db.session.get(Build, upload.build_id) if upload.build_id is not None else None
    links = {"_self": own, "publish": f"{own}publish/", "project": api_url("projects", project.slug),
             "version": api_url("projects", project.slug, "versions", version.slug)}
    if build is not None:
        links["build"] = api_url("projects", project.slug, "builds", build.id)
    return {
        "id": upload.id, "project": project.slug, "version": version.slug, "state": upload.state,
        "files": upload.file_count, "bytes": upload.total_bytes, "missing_count": len(missing),
        "missing": [vars(m) for m in missing], "build": build, "created": upload.created,
        "modified": upload.modified, "_links": links,
    }


@blp.route("/uploads/")
class UploadList(ApiView):
    scopes = {"post": "builds:upload"}
    body_limit = "UPLOAD_MANIFEST_MAX_BYTES"

    @blp.arguments(ManifestSchema)
    @blp.response(201, UploadSchema)
    @blp.errors(400, 401, 403, 404)
    def post(self, body: dict[str, Any], project_slug: str, version_slug: str) -> Any:
        """Start publishing docs built elsewhere: the manifest in, the files the server lacks out

        Files are content-addressed by SHA-256: one the project's storage already holds (sent in
        an earlier upload) is not listed as missing and is never sent again.
        """
        project, version = _target(project_slug, version_slug)
        upload = uploads.create_upload(project, version, auth.current_user(), body["files"])
        return represent(project, version, upload), 201


@blp.route("/uploads/<int:upload_id>/")
class UploadDetail(ApiView):
    scopes = {"get": "builds:upload"}

    @blp.response(200, UploadSchema)
    @blp.errors(401, 403, 404)
    def get(self, project_slug: str, version_slug: str, upload_id: int) -> Any:
        """Show an upload: its state and the files still missing (a resumed client sends only those)"""
        project, version = _target(project_slug, version_slug)
        return represent(project, version, uploads.get_upload(project, version, upload_id))


@blp.route("/uploads/<int:upload_id>/files/<sha256>/")
class UploadFile(ApiView):
    scopes = {"put": "builds:upload"}
    body_formats = (BINARY,)
    body_limit = "UPLOAD_MAX_BYTES"
    rate_limit = "RATE_LIMIT_UPLOAD_FILES"  # a site is thousands of files; the manifest bounds them
    idempotent = False  # the body is a stream read once, and storing a blob twice changes nothing

    @blp.doc(requestBody={"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}})
    @blp.response(200, description="The file was stored (or the project already had it)")
    @blp.errors(400, 401, 403, 404)
    @blp.alt_response(409, description="The upload was already published")
    def put(self, project_slug: str, version_slug: str, upload_id: int, sha256: str) -> Any:
        """Send one missing file (`Content-Type: application/octet-stream`), checked against the
        manifest's size and SHA-256 while it streams in; a mismatch stores nothing"""
        project, version = _target(project_slug, version_slug)
        upload = uploads.get_upload(project, version, upload_id)
        stored = uploads.receive_file(project, upload, sha256, request.stream, request.content_length)
        return {"sha256": sha256, "stored": stored}


@blp.route("/uploads/<int:upload_id>/publish/")
class UploadPublish(ApiView):
    scopes = {"post": "builds:upload"}

    @blp.arguments(PublishSchema)
    @blp.response(200, UploadSchema)
    @blp.errors(400, 401, 403, 404)
    @blp.alt_response(409, description="The upload was already published")
    @blp.alt_response(503, description="The storage did not answer; nothing was published")
    def post(self, _body: dict[str, Any], project_slug: str, version_slug: str, upload_id: int) -> Any:
        """Publish the upload as the version's site, atomically, as a build of kind `upload`

        Every file must have arrived with the manifest's SHA-256 and size; otherwise nothing is
        published and the 400 names the paths.
        """
        project, version = _target(project_slug, version_slug)
        upload = uploads.get_upload(project, version, upload_id)
        upload_publish.publish_upload(project, version, upload, auth.current_user())
        return represent(project, version, upload)
