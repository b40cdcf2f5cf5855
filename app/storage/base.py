"""The storage seam: what the docs server reads and the workers publish, whatever holds the files.

Two backends implement :class:`Storage`: the local directory (:mod:`app.storage.local`, the embedded
default) and S3-compatible object storage (:mod:`app.storage.s3`). Callers never build a path or a key
themselves: they name a project, a version and a file *inside* the site (a path already cleaned by
:func:`app.serving.paths.clean`), so the privacy and traversal rules stay in the docs server and a
backend only has to keep every lookup inside the version it was asked about.

A version's files are in two *areas*: ``html`` (the site) and ``downloads`` (``<project>.zip|pdf|epub``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

HTML = "html"
DOWNLOADS = "downloads"


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
    def commit(self) -> None:
        """Make everything put so far the live version, atomically for readers."""

    @abstractmethod
    def abort(self) -> None:
        """Forget everything put so far; the live version is untouched."""


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
