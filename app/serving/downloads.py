"""Downloads: ``/_/downloads/<project>/<lang>/<version>/<format>/``.

``htmlzip``, ``pdf`` and ``epub`` are the files the build published, offered exactly when the version's
``built_formats`` (the API's ``downloads`` field) lists them and the file is there. ``tar.gz`` is the
built HTML itself, packed on the fly under one top-level ``<project>-<version>/`` folder (docsfy's
archive), so it always matches what is being served and needs no storage of its own.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator

from flask import Blueprint
from werkzeug.wrappers import Response

from app import storage
from app.models import Project, Version
from app.serving import access, paths, responses
from app.serving.resolver import get_project, language_project, servable_version
from app.storage import Found, Storage

bp = Blueprint("downloads", __name__)

FORMATS = tuple(paths.DOWNLOAD_EXTENSIONS)
TARBALL = "tar.gz"


@bp.get("/_/downloads/<project_slug>/<language>/<version_slug>/<fmt>/")
def download(project_slug: str, language: str, version_slug: str, fmt: str) -> Response:
    """One download of a version: htmlzip, pdf, epub (when built) or tar.gz of the HTML."""
    top = get_project(project_slug)
    project = language_project(top, language) if top is not None else None
    if top is None or project is None:
        return responses.not_found()
    if not (access.can_view(top) and access.can_view(project)):
        return access.deny(responses.not_found())
    version = servable_version(project, version_slug)
    if version is None:
        return responses.not_found()
    if not access.can_view(project, version):
        return access.deny(responses.not_found())
    private = access.is_private(top) or access.is_private(project, version)
    if fmt in FORMATS:
        return _published(project, version, fmt, private)
    if fmt == TARBALL:
        return _tarball(project, version, private)
    return responses.not_found()


def _published(project: Project, version: Version, fmt: str, private: bool) -> Response:
    built = fmt in (version.built_formats or [])
    found = paths.find_download(project.slug, version.slug, fmt) if built else None
    if found is None:
        return responses.not_found()
    try:
        response = responses.send_found(
            found,
            private=private,
            download_name=f"{project.slug}-{version.slug}.{paths.DOWNLOAD_EXTENSIONS[fmt]}",
        )
    except FileNotFoundError:
        return responses.not_found()
    return response


class _Sink:
    """A write-only file object whose contents are handed out chunk by chunk."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def _stream(backend: Storage, files: list[tuple[Found, str]], top: str) -> Iterator[bytes]:
    sink = _Sink()
    with tarfile.open(fileobj=sink, mode="w|gz") as tar:  # type: ignore[call-overload]
        for found, name in files:
            try:
                with backend.open(found) as fh:
                    info = tarfile.TarInfo(f"{top}/{name}")
                    if found.stored is not None:
                        modified = found.stored.modified
                        info.size = found.stored.size
                        info.mtime = int(modified.timestamp()) if modified is not None else 0
                    else:
                        stat = os.fstat(fh.fileno())
                        info.size, info.mtime = stat.st_size, int(stat.st_mtime)
                    info.mode = 0o644
                    tar.addfile(info, fh)
            except FileNotFoundError:  # replaced by a newer build while streaming: skip, keep going
                continue
            chunk = sink.drain()
            if chunk:
                yield chunk
    yield sink.drain()


def _tarball(project: Project, version: Version, private: bool) -> Response:
    backend = storage.backend()
    files = backend.site_files(project.slug, version.slug)
    if not files:
        return responses.not_found()
    top = f"{project.slug}-{version.slug}"
    response = Response(_stream(backend, files, top), mimetype="application/gzip")
    response.headers.set("Content-Disposition", "attachment", filename=f"{top}.tar.gz")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return responses.cache_control(response, private)
