"""The storage seam: what the docs server reads and the workers publish, whatever holds the files.

Two backends implement :class:`Storage`: the local directory (:mod:`app.storage.local`, the embedded
default) and S3-compatible object storage (:mod:`app.storage.s3`). Callers never build a path or a key
themselves: they name a project, a version and a file *inside* the site (a path already cleaned by
:func:`app.serving.paths.clean`), so the privacy and traversal rules stay in the docs server and a
backend only has to keep every lookup inside the version it was asked about.

A version's files are in two *areas*: ``html`` (the site) and ``downloads`` (``<project>.zip|pdf|epub``).

Docs built elsewhere arrive as *blobs*: a project's files stored once under their SHA-256, next to its
versions (``<project>/.blobs/``, a name no version slug can have), and published into a version by
:meth:`Upload.put_blob` without passing through the web process again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

HTML = "html"
DOWNLOADS = "downloads"
#: The project's blobs, next to its versions: no version slug starts with a dot.
BLOBS = ".blobs"
_HEX = frozenset("0123456789abcdef")
#: Pages the documentation tools add to every site, at its top (not counted as the author's pages).
GENERATED_PAGES = frozenset({"404.html", "search.html", "genindex.html", "py-modindex.html"})


def is_page(relative: str) -> bool:
    """Whether a site's file is one of the documentation's pages, as its author counts them: HTML,
    but not what the tools generate around the pages (Sphinx's index and search pages, a theme's 404
    and search pages, HTML among Sphinx's ``_static/``, ``_sources/``, ``_images/``). One rule for a
    built site (the worker) and an uploaded one (the web tier)."""
    if not relative.endswith((".html", ".htm")) or relative in GENERATED_PAGES:
        return False
    return not any(part.startswith("_") for part in relative.split("/")[:-1])


def check_digest(digest: str) -> str:
    """A SHA-256 in lowercase hex, or ValueError: a blob's name is never anything else (no path)."""
    if len(digest) != 64 or not set(digest) <= _HEX:
        raise ValueError(f"not a SHA-256 digest: {digest!r}")
    return digest


class StorageUnavailable(RuntimeError):
    """The storage backend did not answer (network, credentials, a server error): a 503, not a 404."""


@dataclass(frozen=True)
class Found:
    """A lookup result: a file to send, or a directory that needs its trailing slash first.

    ``path`` is a local path (local backend) or the object's key (object storage, ``stored`` set).
    """

    path: str
    needs_slash: bool = False
    stored: StoredObject | None = None


@dataclass(frozen=True)
class StoredObject:
    """An object's validators as object storage reports them (one HEAD request)."""

    key: str
    size: int
    etag: str
    modified: datetime | None


class Upload(ABC):
    """One version being published: files go to a place no reader looks at, then :meth:`commit`
    makes all of them live at once; :meth:`abort` throws them away and leaves the live site alone."""

    #: Where the version lives once committed (a directory, or an ``s3://`` URL), for logs and tests.
    location: str
    #: Files taken over unchanged from the live version instead of being copied again (object storage).
    reused: int = 0

    @abstractmethod
    def mkdir(self, area: str, relative: str) -> None:
        """A directory inside an area (nothing to do where directories do not exist)."""

    @abstractmethod
    def put(self, area: str, relative: str, fd: int) -> None:
        """Copy the open regular file ``fd`` (the caller's, read from its current offset to its end)
        to ``relative`` inside ``area``."""

    @abstractmethod
    def put_blob(self, area: str, relative: str, project: str, digest: str) -> None:
        """Place the project's blob ``digest`` (:meth:`Storage.blob_sink`) at ``relative`` in ``area``."""

    @abstractmethod
    def commit(self) -> None:
        """Make everything put so far the live version, atomically for readers."""

    @abstractmethod
    def abort(self) -> None:
        """Forget everything put so far; the live version is untouched."""


class BlobSink(ABC):
    """One file's bytes on their way into a project's blobs. They become the blob ``digest`` only
    through :meth:`commit`, which the caller calls after checking them against the digest and size
    (nothing here trusts the name it is given); :meth:`abort` throws them away."""

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Append bytes."""

    @abstractmethod
    def commit(self, digest: str) -> None:
        """Store what was written as the blob ``digest`` (an existing one with that name stays)."""

    @abstractmethod
    def abort(self) -> None:
        """Forget what was written."""


class Storage(ABC):
    """Where built sites, downloads and finished build logs live."""

    #: True when files are plain local paths (``send_file``, nginx's ``alias``).
    local: bool = True

    # --- reading (the docs server) ---
    @abstractmethod
    def has_site(self, project: str, version: str) -> bool:
        """Whether the version has a published site at all."""

    @abstractmethod
    def find(self, project: str, version: str, filename: str) -> Found | None:
        """The file ``filename`` (cleaned, relative to the site) names; a directory gives index.html,
        or asks for its slash when ``filename`` lacks one. None when nothing servable is there."""

    @abstractmethod
    def download(self, project: str, version: str, name: str) -> Found | None:
        """A published download (``<project>.<ext>``), or None."""

    @abstractmethod
    def site_files(self, project: str, version: str) -> list[tuple[Found, str]]:
        """Every file of the site as (handle, name relative to the site), sorted by name."""

    @abstractmethod
    def open(self, found: Found) -> BinaryIO:
        """Read a found file from the start (the caller closes it)."""

    def read_range(self, found: Found, start: int, stop: int) -> Iterator[bytes]:
        """Bytes ``start``..``stop - 1`` of a found file, in chunks."""
        with self.open(found) as fh:
            fh.seek(start)
            left = stop - start
            while left > 0 and (chunk := fh.read(min(left, 64 * 1024))):
                left -= len(chunk)
                yield chunk

    # --- writing (the workers, the services) ---
    @abstractmethod
    def begin(self, project: str, version: str, build_id: int) -> Upload:
        """Start publishing a version; see :class:`Upload`."""

    @abstractmethod
    def blob_sink(self, project: str) -> BlobSink:
        """Receive a file for the project's blobs (see :class:`BlobSink`)."""

    def presign_blob_put(self, project: str, upload_id: int, digest: str, size: int,
                         expires: int) -> str | None:
        """A URL a client may PUT the file ``digest`` to directly (object storage), or None: the client
        sends it to Docshelf. What arrives there is only *pending* until :meth:`adopt_pending` checks it."""
        return None

    def adopt_pending(self, project: str, upload_id: int, digest: str, size: int) -> bool | None:
        """Check a file sent to a presigned URL against its digest and size and make it a blob: True
        when it became one, False when it arrived but does not match (it is deleted), None when nothing
        arrived."""
        return None

    def discard_pending(self, project: str, upload_id: int) -> None:  # noqa: B027 - optional
        """Delete whatever clients sent to this upload's presigned URLs and was not adopted."""

    @abstractmethod
    def remove_version(self, project: str, version: str) -> None:
        """Delete a version's site and downloads."""

    @abstractmethod
    def remove_project(self, project: str) -> None:
        """Delete every version of a project."""

    # --- finished build logs ("cold storage"); the local backend keeps them in the database ---
    def put_log(self, build_id: int, data: bytes) -> bool:
        """Keep a finished build's log; False when this backend leaves logs in the database."""
        return False

    def get_log(self, build_id: int) -> bytes | None:
        """A log kept by :meth:`put_log`, or None."""
        return None

    def remove_logs(self, build_ids: list[int]) -> None:  # noqa: B027 - optional, like the two above
        """Delete the logs kept by :meth:`put_log` for these builds (nothing where there are none)."""
