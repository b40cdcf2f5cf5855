"""Publishing to S3: a build's objects put under a fresh tag by a few threads, the pointer switched last
(see :mod:`app.storage.s3` for the layout and why that order makes publishing atomic).

Only changed files travel: each upload leaves its files' SHA-256 next to them (``t/<tag>/sha256.json``,
written before the pointer switch), and the next upload of the version reads the live tag's. A file
whose hash is the same is *copied* inside the bucket from the live tag to the new one (CopyObject, no
bytes from the worker) instead of put again; the new tag still holds every file, so the switch stays
one atomic step and the retention of retired tags is unchanged. A copy whose source is gone (a
concurrent publish retired it) falls back to uploading the file.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, BinaryIO

from app.storage.base import Upload
from app.storage.s3_blobs import blob_key

if TYPE_CHECKING:
    from app.storage.s3 import S3Storage

_MAX_INLINE = 8 * 1024 * 1024  # larger files go up in parts (upload_fileobj)
_IN_FLIGHT = 32  # uploads queued per publish before the reader waits
_THREADS = 8
#: The hashes of an upload's files, beside its ``html/`` and ``downloads/``.
HASHES = "sha256.json"


class S3Upload(Upload):
    """Objects under a fresh tag, put by a few threads; the pointer switch in :meth:`commit` is last."""

    def __init__(self, storage: S3Storage, project: str, version: str, tag: str,
                 live: tuple[str, dict[str, str]] | None = None) -> None:
        self.storage = storage
        self.project, self.version, self.tag = project, version, tag
        self.base = f"{storage.version_prefix(project, version)}t/{tag}/"
        self.location = f"s3://{storage.bucket}/{self.base}"
        self.pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="docshelf-upload")
        self.pending: list[Future[Any]] = []
        #: (key prefix, ``{area/relative: sha256}``) of the live upload, whose unchanged files are copied.
        self.live = live
        self.hashes: dict[str, str] = {}

    def mkdir(self, area: str, relative: str) -> None:
        """Object storage has no directories: a directory is the keys below it."""

    def _submit(self, call: Callable[..., Any], **kwargs: Any) -> None:
        self.pending.append(self.pool.submit(call, **kwargs))
        if len(self.pending) >= _IN_FLIGHT:
            self._wait()

    def _wait(self) -> None:
        pending, self.pending = self.pending, []
        for future in pending:
            if future.result():  # the first failed upload fails the publish; True: copied, not sent
                self.reused += 1

    def put(self, area: str, relative: str, fd: int) -> None:
        name = f"{area}/{relative}"
        key = self.base + name
        kind = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        start = os.lseek(fd, 0, os.SEEK_CUR)
        data = bytearray()
        while len(data) <= _MAX_INLINE and (chunk := _read(fd, _MAX_INLINE + 1 - len(data))):
            data += chunk
        digest = hashlib.sha256(data)
        inline = len(data) <= _MAX_INLINE
        if not inline:  # hash the rest too, then read it again for the upload
            while chunk := _read(fd, 1 << 20):
                digest.update(chunk)
            os.lseek(fd, start + len(data), os.SEEK_SET)
        self.hashes[name] = digest.hexdigest()
        source = self.live[0] + name if self.live and self.live[1].get(name) == self.hashes[name] else None
        if inline:
            self._submit(self._put_small, key=key, data=bytes(data), kind=kind, source=source)
        elif source is None or not self._copy(source, key):
            with open(os.dup(fd), "rb") as rest:
                self.storage.client.upload_fileobj(_Chain(bytes(data), rest), self.storage.bucket, key,
                                                   ExtraArgs={"ContentType": kind})
        else:
            self.reused += 1

    def _put_small(self, key: str, data: bytes, kind: str, source: str | None) -> bool:
        """Copy (True) or put (False) one small file; runs in the pool, counted by :meth:`_wait`."""
        if source is not None and self._copy(source, key):
            return True
        self.storage.client.put_object(Bucket=self.storage.bucket, Key=key, Body=data, ContentType=kind)
        return False

    def _copy(self, source: str, key: str) -> bool:
        """Copy an unchanged file from the live upload; False when its source is gone."""
        bucket = self.storage.bucket
        try:
            self.storage.client.copy_object(Bucket=bucket, Key=key,
                                            CopySource={"Bucket": bucket, "Key": source})
        except Exception as exc:
            if missing(exc):
                return False
            raise
        return True

    def put_blob(self, area: str, relative: str, project: str, digest: str) -> None:
        """A copy inside the bucket: the bytes never leave object storage."""
        self._submit(self._put_blob, key=f"{self.base}{area}/{relative}", project=project, digest=digest,
                     kind=mimetypes.guess_type(relative)[0] or "application/octet-stream")

    def _put_blob(self, key: str, project: str, digest: str, kind: str) -> bool:
        """Runs in the pool; False: not a file kept from the live upload (:meth:`_wait` counts those)."""
        storage = self.storage
        source = {"Bucket": storage.bucket, "Key": blob_key(storage, project, digest)}
        storage.client.copy_object(Bucket=storage.bucket, Key=key, CopySource=source, ContentType=kind,
                                   MetadataDirective="REPLACE")
        return False

    def commit(self) -> None:
        try:
            self._wait()
        finally:
            self.pool.shutdown(wait=True)
        storage, base = self.storage, self.storage.version_prefix(self.project, self.version)
        storage.client.put_object(Bucket=storage.bucket, Key=self.base + HASHES,
                                  ContentType="application/json",
                                  Body=json.dumps(self.hashes, sort_keys=True).encode())
        previous = storage.live_tag(self.project, self.version, fresh=True)
        storage.client.put_object(Bucket=storage.bucket, Key=base + "live", Body=self.tag.encode(),
                                  ContentType="text/plain", CacheControl="no-cache")
        if previous is not None and previous != self.tag:
            storage.client.put_object(Bucket=storage.bucket, Key=f"{base}retired/{previous}", Body=b"")
        storage.clean_up(self.project, self.version)

    def abort(self) -> None:
        for future in self.pending:
            future.cancel()
        self.pool.shutdown(wait=True)
        self.pending = []
        self.storage.delete_prefix(self.base)


def _read(fd: int, size: int) -> bytes:
    return os.read(fd, min(size, 1 << 20))


class _Chain:
    """A file object that reads ``head`` and then ``rest`` (for a multipart upload of a large file)."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = memoryview(head), rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            n = len(self.head) if size < 0 else min(size, len(self.head))
            out, self.head = bytes(self.head[:n]), self.head[n:]
            return out
        return self.rest.read(size)


def missing(exc: Exception) -> bool:
    """A 404 (no such key or bucket) or a refused key (too long, 400): nothing to serve."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = response.get("Error", {}).get("Code")
    return status in (400, 404) or code in ("NoSuchKey", "404", "NoSuchBucket")
