"""Docs built elsewhere, part one: upload sessions and the files they receive.

A client sends a manifest (path, size, SHA-256 of every file of the site); the session answers
which files the project's storage lacks, so a file sent once (in any earlier upload of the
project) is never sent again. Each missing file goes to a presigned object-storage URL or to
:func:`receive_file`, which checks the bytes against the manifest's SHA-256 and size while they
stream in: nothing unchecked ever becomes a blob (:class:`app.models.UploadBlob`). Publishing is
:mod:`app.services.upload_publish`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import storage
from app.errors import Conflict, NotFound, ValidationError
from app.extensions import db
from app.models import Project, UploadBlob, UploadSession, User, Version
from app.models.upload import UPLOAD_OPEN
from app.services.upload_rules import ManifestFile, check_manifest
from app.services.upload_sources import live_site_digests
from app.urls import api_url

_CHUNK = 1024 * 1024
_IN_BATCH = 500  # digests per IN (...) query: SQLite's bound-parameter limit is far above it


@dataclass(frozen=True)
class MissingFile:
    """One file the server lacks: its digest and size, every path it is published at, where to send it."""

    sha256: str
    size: int
    paths: list[str]
    upload_url: str
    upload_to: str  # "docshelf" (send the token) or "storage" (a presigned URL: send nothing else)


def files_of(upload: UploadSession) -> list[ManifestFile]:
    return [ManifestFile(path, int(size), digest) for path, size, digest in upload.files]


def known_blobs(project_id: int, digests: Iterable[str]) -> set[str]:
    """The digests among ``digests`` the project's storage holds (checked when they arrived)."""
    wanted = sorted(set(digests))
    found: set[str] = set()
    for start in range(0, len(wanted), _IN_BATCH):
        batch = wanted[start:start + _IN_BATCH]
        found.update(db.session.scalars(select(UploadBlob.sha256).where(
            UploadBlob.project_id == project_id, UploadBlob.sha256.in_(batch))))
    return found


def missing_files(upload: UploadSession) -> list[ManifestFile]:
    """One entry per digest the project lacks (the first path naming it), in path order: neither a
    blob nor a file of the version's live site (:mod:`app.services.upload_sources`)."""
    files = files_of(upload)
    have = known_blobs(upload.project_id, (f.sha256 for f in files))
    version = db.session.get(Version, upload.version_id)
    have.update(live_site_digests(version) if version is not None else ())
    seen: set[str] = set()
    out: list[ManifestFile] = []
    for f in files:
        if f.sha256 not in have and f.sha256 not in seen:
            seen.add(f.sha256)
            out.append(f)
    return out


def describe_missing(project: Project, version: Version, upload: UploadSession) -> list[MissingFile]:
    """What the client still has to send, with an upload URL for each file."""
    files = files_of(upload)
    paths: dict[str, list[str]] = {}
    for f in files:
        paths.setdefault(f.sha256, []).append(f.path)
    backend = storage.backend()
    ttl = int(current_app.config["UPLOAD_URL_TTL"])
    out = []
    for f in missing_files(upload):
        presigned = backend.presign_blob_put(project.slug, upload.id, f.sha256, f.size, ttl)
        url = presigned or api_url("projects", project.slug, "versions", version.slug, "uploads", upload.id,
                                   "files", f.sha256)
        where = "storage" if presigned else "docshelf"
        out.append(MissingFile(f.sha256, f.size, paths[f.sha256], url, where))
    return out


def create_upload(project: Project, version: Version, user: User | None, files: list[Any]) -> UploadSession:
    """Check the manifest (paths and limits) and open a session for it."""
    config = current_app.config
    checked = check_manifest(files, int(config["UPLOAD_MAX_FILES"]), int(config["UPLOAD_MAX_BYTES"]))
    upload = UploadSession(
        project_id=project.id, version_id=version.id, created_by_id=user.id if user is not None else None,
        state=UPLOAD_OPEN, files=[[f.path, f.size, f.sha256] for f in checked], file_count=len(checked),
        total_bytes=sum(f.size for f in checked),
    )
    db.session.add(upload)
    db.session.commit()
    return upload


def get_upload(project: Project, version: Version, upload_id: int) -> UploadSession:
    upload = db.session.scalars(select(UploadSession).where(
        UploadSession.id == upload_id, UploadSession.project_id == project.id,
        UploadSession.version_id == version.id)).one_or_none()
    if upload is None:
        raise NotFound("No Upload matches the given query.")
    return upload


def require_open(upload: UploadSession) -> None:
    if upload.state != UPLOAD_OPEN:
        raise Conflict(f"Upload {upload.id} was already {upload.state}; start a new upload.")


def record_blob(project_id: int, digest: str, size: int) -> None:
    """The blob is stored and checked: say so (a concurrent upload may have said it first)."""
    db.session.add(UploadBlob(project_id=project_id, sha256=digest, size=size))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def receive_file(project: Project, upload: UploadSession, digest: str, stream: IO[bytes],
                 content_length: int | None) -> bool:
    """Store one file the session lists, checking its bytes against the manifest while they stream in.

    Returns False when the project already had it (nothing is read). More bytes than the manifest's
    size, fewer, or other bytes than its SHA-256 are refused (400) and leave nothing behind.
    """
    require_open(upload)
    sizes = {f.sha256: f.size for f in files_of(upload)}
    if digest not in sizes:
        raise NotFound("This upload lists no file with that SHA-256.")
    size = sizes[digest]
    if digest in known_blobs(project.id, [digest]):
        return False
    if content_length is not None and content_length != size:
        raise ValidationError(f"The body is {content_length} bytes; the manifest says {size}.",
                              errors={"size": [f"Expected {size} bytes."]})
    sink = storage.backend().blob_sink(project.slug)
    hasher, received = hashlib.sha256(), 0
    try:
        while chunk := stream.read(min(_CHUNK, size + 1 - received) or 1):
            received += len(chunk)
            if received > size:
                raise ValidationError(f"The body is larger than the manifest's {size} bytes.",
                                      errors={"size": [f"Expected {size} bytes."]})
            hasher.update(chunk)
            sink.write(chunk)
        if received != size:
            raise ValidationError(f"The body is {received} bytes; the manifest says {size}.",
                                  errors={"size": [f"Expected {size} bytes."]})
        if hasher.hexdigest() != digest:
            raise ValidationError("The body's SHA-256 is not the one in the URL; nothing was stored.",
                                  errors={"sha256": ["The bytes do not match this SHA-256."]},
                                  code="hash_mismatch")
    except BaseException:
        sink.abort()
        raise
    sink.commit(digest)
    record_blob(project.id, digest, size)
    return True
