"""Docs built elsewhere, part two: publishing an upload session as a build of kind ``upload``.

Every file the manifest lists must be one of the project's checked blobs (files sent to a presigned
object-storage URL are read back and hashed now, :meth:`app.storage.Storage.adopt_pending`); a
missing or mismatching file refuses the whole publish with a 400 naming its paths. Then the site
goes through the storage's one publishing path (:class:`app.storage.Upload`: staged where no
reader looks, switched live in one step), recorded as a Build of kind ``upload`` that ends through
:func:`~app.services.build_control.finish_build` like any build (version marked built,
notifications, webhooks) with a log saying what was received. Search indexing reads the published
pages in a worker, as a build's indexing does (``workers.jobs.index_upload``).
"""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from app import locks, storage
from app.errors import Conflict, RetryableError, ValidationError
from app.extensions import db
from app.models import Build, Project, UploadBlob, UploadSession, User, Version
from app.models.base import utcnow
from app.models.build import UPLOAD_KIND
from app.models.upload import UPLOAD_OPEN, UPLOAD_PUBLISHED
from app.services import queueing
from app.services.build_control import finish_build
from app.services.build_logs import LogStream, add_note
from app.services.builds import supersede_older
from app.services.upload_rules import refuse_paths
from app.services.upload_sources import copy_from_site, live_site_digests
from app.services.uploads import files_of, known_blobs, missing_files, record_blob
from app.storage.base import HTML, is_page

log = logging.getLogger(__name__)

_PUBLISHING = "publishing"


def _claim(upload: UploadSession) -> None:
    """open → publishing, conditionally: of two publishes of one session, one goes on."""
    moved = cast(CursorResult[Any], db.session.execute(
        update(UploadSession).where(UploadSession.id == upload.id, UploadSession.state == UPLOAD_OPEN)
        .values(state=_PUBLISHING).execution_options(synchronize_session=False))).rowcount
    db.session.commit()
    if not moved:
        db.session.refresh(upload)
        raise Conflict(f"Upload {upload.id} was already {upload.state}; start a new upload.")


def _release(upload_id: int) -> None:
    db.session.rollback()
    db.session.execute(update(UploadSession).where(UploadSession.id == upload_id)
                       .values(state=UPLOAD_OPEN).execution_options(synchronize_session=False))
    db.session.commit()


def _check_files(project: Project, version: Version, upload: UploadSession) -> None:
    """Take unchanged files from the live site and what clients sent to object storage; refuse when
    anything is still missing or wrong."""
    backend = storage.backend()
    problems: dict[str, list[str]] = {}
    sizes = {f.sha256: f.size for f in files_of(upload)}
    have = known_blobs(project.id, sizes)
    for digest, path in live_site_digests(version).items():
        size = sizes.get(digest)
        if size is None or digest in have:
            continue
        if copy_from_site(project, version, path, digest, size):
            record_blob(project.id, digest, size)
        else:
            problems[path] = ["The live site's copy changed meanwhile; start a new upload."]
    for f in missing_files(upload):
        adopted = backend.adopt_pending(project.slug, upload.id, f.sha256, f.size)
        if adopted:
            record_blob(project.id, f.sha256, f.size)
        elif adopted is False:
            problems[f.path] = ["The file sent does not match its size and SHA-256; send it again."]
        else:
            problems[f.path] = ["The file was never sent."]
    if problems:
        raise refuse_paths(problems, "These files are missing or do not match the manifest")


def _received(upload: UploadSession) -> tuple[int, int]:
    """Files and bytes that arrived for this session (blobs first stored after it opened)."""
    digests = {f.sha256 for f in files_of(upload)}
    rows = db.session.execute(select(UploadBlob.sha256, UploadBlob.size).where(
        UploadBlob.project_id == upload.project_id, UploadBlob.created >= upload.created)).all()
    fresh = [row for row in rows if row.sha256 in digests]
    return len(fresh), sum(row.size for row in fresh)


def _summary(upload: UploadSession, pages: int) -> str:
    count, size = _received(upload)
    reused = len({f.sha256 for f in files_of(upload)}) - count
    return (f"Received upload {upload.id}: {upload.file_count} files ({upload.total_bytes} bytes), "
            f"{pages} of them pages. Sent for this upload: {count} files ({size} bytes); "
            f"unchanged and not sent again: {reused}.\n")


def _stage(project: Project, version: Version, upload: UploadSession, build_id: int) -> None:
    target = storage.backend().begin(project.slug, version.slug, build_id)
    try:
        target.mkdir(HTML, "")
        for f in files_of(upload):
            target.put_blob(HTML, f.path, project.slug, f.sha256)
        target.commit()
    except BaseException:
        target.abort()
        raise


def publish_upload(project: Project, version: Version, upload: UploadSession, user: User | None) -> Build:
    """Publish the session's files as the version's site, atomically; returns the finished build."""
    if not version.active:
        raise ValidationError(f"Version '{version.slug}' is not active; activate it to publish to it.")
    _claim(upload)
    upload_id = upload.id
    try:
        _check_files(project, version, upload)
    except BaseException:
        _release(upload_id)
        raise
    files = files_of(upload)
    locks.lock_rows(Version, [version.id])  # the newer build is the version's last one (see trigger_build)
    build = Build(project_id=project.id, version_id=version.id, version_slug=version.slug, kind=UPLOAD_KIND,
                  state="uploading", triggered_by_id=user.id if user is not None else None, started=utcnow(),
                  config={}, manifest={"files": {f.path: {"sha256": f.sha256} for f in files}})
    db.session.add(build)
    db.session.flush()
    build_id = version.last_build_id = build.id
    db.session.commit()
    try:
        _stage(project, version, upload, build_id)
    except Exception as exc:
        log.exception("upload %s: publishing failed", upload_id)
        _release(upload_id)
        build_row = db.session.get(Build, build_id)
        if build_row is not None:
            finish_build(build_row, success=False, error="Publishing failed: the storage did not answer.")
        raise RetryableError("The storage did not answer; nothing was published. Publish again shortly.",
                             headers={"Retry-After": "5"}) from exc
    add_note(LogStream(build_id), f"# publish upload {upload_id} to {project.slug}/{version.slug}",
             _summary(upload, sum(1 for f in files if is_page(f.path))), "Uploading")
    upload.state, upload.build_id = UPLOAD_PUBLISHED, build_id
    finish_build(build, success=True, formats=[])
    supersede_older(version.id, build_id, "Superseded by docs published through an upload.")
    try:  # a file sent twice, or sent but not listed as missing any more: nothing will adopt it now
        storage.backend().discard_pending(project.slug, upload_id)
    except Exception:
        log.warning("upload %s: could not discard its leftover files", upload_id, exc_info=True)
    try:
        queueing.enqueue(queueing.INDEX_UPLOAD, build_id)
    except Exception:  # the docs are live; only search waits for the next publish
        log.warning("upload %s: could not queue search indexing", upload_id, exc_info=True)
    db.session.refresh(build)
    return build
