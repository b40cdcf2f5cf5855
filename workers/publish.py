"""Publishing a build's output into storage: copy what is safe into a new upload, then switch to it.

The output directory is written by the project's code, so nothing in it is renamed into storage and no
link in it is followed (:mod:`workers.output_tree`): directories and regular files are copied, symbolic
links, FIFOs, sockets and devices are left out and counted, and a path that is not what it must be
(``html`` a link, a download outside the output) publishes nothing. Readers (the docs server) see
either the old site or the new one, never a mix: the storage backend (:mod:`app.storage`) stages the
new version where no reader looks and switches to it in one step. A build that fails before or during
this step never touches the published version.
"""

from __future__ import annotations

import logging
import os
import time
import zipfile
from dataclasses import dataclass, field

from app import storage
from app.storage import Upload
from app.storage.base import DOWNLOADS, HTML, is_page
from workers import output_tree
from workers.output_tree import Skipped, UnsafeOutput
from workers.recorder import BuildFailed

log = logging.getLogger(__name__)

DOWNLOAD_EXTENSIONS = {"htmlzip": "zip", "pdf": "pdf", "epub": "epub"}
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the oldest date a zip entry can carry


@dataclass
class Published:
    """One published version: its live directory (usable as a path), what was copied and left out."""

    path: str
    files: int = 0
    pages: int = 0  # the documentation pages among the files (see is_page)
    downloads: list[str] = field(default_factory=list)  # the formats actually published
    reused: int = 0  # files the storage took over unchanged from the live version (not sent again)
    skipped: Skipped = field(default_factory=Skipped)

    def __fspath__(self) -> str:
        return self.path

    def summary(self) -> str:
        """A line for the build log; names what was left out so the author can find it."""
        text = (f"Published {self.pages} pages ({self.files} files with their assets); downloads: "
                f"{', '.join(self.downloads) or 'none'}.")
        if self.reused:
            text += f" {self.reused} unchanged files were kept from the live version, not uploaded again."
        if self.skipped.count:
            shown = ", ".join(self.skipped.examples)
            more = ", ..." if self.skipped.count > len(self.skipped.examples) else ""
            text += (f" Left out {self.skipped.count} entries that are not regular files or directories "
                     f"(symbolic links, FIFOs, devices): {shown}{more}.")
        return text


def download_name(project_slug: str, fmt: str) -> str:
    """File name of a download inside ``<version>/downloads/`` (``<project>.zip``, ``.pdf``, ``.epub``)."""
    return f"{project_slug}.{DOWNLOAD_EXTENSIONS[fmt]}"


def _open_html(html_dir: str, root: str | None) -> int:
    try:
        return output_tree.open_dir(html_dir, root)
    except UnsafeOutput as exc:
        raise BuildFailed("$READTHEDOCS_OUTPUT/html is not a directory inside the build's output "
                          "(symbolic links are never followed); nothing was published.") from exc


def make_htmlzip(html_dir: str, target: str, top: str, *, root: str | None = None) -> Skipped:
    """Zip the built HTML under a ``<project>-<version>/`` folder, the way Read the Docs ships htmlzip.

    Only regular files go in, read through ``O_NOFOLLOW`` descriptors; the archive itself is created
    fresh (never written through an existing link or hard link at ``target``). ``root`` is a trusted
    directory containing both paths (the build's workdir); returns what was left out.
    """
    skipped = Skipped()
    source = _open_html(html_dir, root)
    try:
        folder, name = os.path.split(os.path.normpath(target))
        try:
            target_dir = output_tree.open_dir(folder, root, create=True)
        except UnsafeOutput as exc:
            raise BuildFailed(f"Cannot write {name}: {exc}.") from exc
        try:
            out = output_tree.create_file(target_dir, name)
        finally:
            os.close(target_dir)
        with os.fdopen(out, "wb") as sink, zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for relative, fd in output_tree.walk(source, skipped):
                if fd is None:
                    continue
                st = os.fstat(fd)
                info = zipfile.ZipInfo(f"{top}/{relative}", _zip_time(st.st_mtime))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with zf.open(info, "w", force_zip64=st.st_size >= zipfile.ZIP64_LIMIT) as entry:
                    while chunk := os.read(fd, output_tree.CHUNK):
                        entry.write(chunk)
    finally:
        os.close(source)
    if skipped.count:
        log.warning("htmlzip %s: left out %d non-regular entries (%s)", target, skipped.count,
                    ", ".join(skipped.examples))
    return skipped


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    parts = time.localtime(mtime)[:6]
    return parts if parts[0] >= 1980 else _ZIP_EPOCH


def _copy_html(source: int, upload: Upload, result: Published) -> None:
    """Copy directories and regular files from the build's html (``source``) into the upload."""
    upload.mkdir(HTML, "")
    for relative, fd in output_tree.walk(source, result.skipped):
        if fd is None:
            upload.mkdir(HTML, relative)
            continue
        upload.put(HTML, relative, fd)
        result.files += 1
        if is_page(relative):
            result.pages += 1


def _copy_download(path: str, upload: Upload, name: str, root: str | None) -> bool:
    fd = output_tree.open_path(path, root)
    if fd is None:
        return False
    try:
        upload.put(DOWNLOADS, name, fd)
    finally:
        os.close(fd)
    return True


def _stage(upload: Upload, project_slug: str, html_dir: str, downloads: dict[str, str], root: str | None,
           result: Published) -> None:
    source = _open_html(html_dir, root)
    try:
        _copy_html(source, upload, result)
    finally:
        os.close(source)
    if downloads:
        upload.mkdir(DOWNLOADS, "")
    for fmt, path in sorted(downloads.items()):
        if _copy_download(path, upload, download_name(project_slug, fmt), root):
            result.downloads.append(fmt)
        else:
            result.skipped.add(f"{fmt} download ({os.path.basename(path)})")


def publish(project_slug: str, version_slug: str, html_dir: str, downloads: dict[str, str], build_id: int,
            storage_dir: str | None = None, *, root: str | None = None) -> Published:
    """Copy the build's html/ and downloads into a new upload of the storage, then make it live at once
    (:class:`app.storage.Upload`: a staging directory swapped with the live one, or objects under a
    fresh prefix and a pointer switched last).

    ``html_dir`` and the download paths are absolute paths inside the build's output; ``root`` is a
    trusted directory that contains them and that the build cannot replace (the build's workdir;
    default: the data directory, else ``/``). Below it no link is followed. ``storage_dir`` forces
    the local backend there. Returns the live location (a path-like :class:`Published`) with counts
    of what was copied and left out.
    """
    upload = storage.backend(storage_dir=storage_dir).begin(project_slug, version_slug, build_id)
    result = Published(upload.location)
    try:
        _stage(upload, project_slug, html_dir, downloads, root, result)
        if result.skipped.count:
            log.warning("build %s: %s", build_id, result.summary())
        upload.commit()
        result.reused = upload.reused
        return result
    except BaseException:
        upload.abort()
        raise
