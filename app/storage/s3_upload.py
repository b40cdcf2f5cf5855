"""Publishing to S3: a build's objects put under a fresh tag by a few threads, the pointer switched last
(see :mod:`app.storage.s3` for the layout and why that order makes publishing atomic)."""

from __future__ import annotations

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


class S3Upload(Upload):
    """Objects under a fresh tag, put by a few threads; the pointer switch in :meth:`commit` is last."""

    def __init__(self, storage: S3Storage, project: str, version: str, tag: str) -> None:
        self.storage = storage
        self.project, self.version, self.tag = project, version, tag
        self.base = f"{storage.version_prefix(project, version)}t/{tag}/"
        self.location = f"s3://{storage.bucket}/{self.base}"
        self.pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="docshelf-upload")
        self.pending: list[Future[Any]] = []

    def mkdir(self, area: str, relative: str) -> None:
        """Object storage has no directories: a directory is the keys below it."""

    def _submit(self, call: Callable[..., Any], **kwargs: Any) -> None:
        self.pending.append(self.pool.submit(call, **kwargs))
        if len(self.pending) >= _IN_FLIGHT:
            self._wait()

    def _wait(self) -> None:
        pending, self.pending = self.pending, []
        for future in pending:
            future.result()  # the first failed upload fails the publish

    def put(self, area: str, relative: str, fd: int) -> None:
        key = f"{self.base}{area}/{relative}"
        kind = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        data = bytearray()
        while len(data) <= _MAX_INLINE and (chunk := _read(fd, _MAX_INLINE + 1 - len(data))):
            data += chunk
        client, bucket = self.storage.client, self.storage.bucket
        if len(data) <= _MAX_INLINE:
            self._submit(client.put_object, Bucket=bucket, Key=key, Body=bytes(data), ContentType=kind)
            return
        with open(os.dup(fd), "rb") as rest:
            source = _Chain(bytes(data), rest)
            client.upload_fileobj(source, bucket, key, ExtraArgs={"ContentType": kind})

    def put_blob(self, area: str, relative: str, project: str, digest: str) -> None:
        """A copy inside the bucket: the bytes never leave object storage."""
        storage = self.storage
        kind = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        self._submit(storage.client.copy_object, Bucket=storage.bucket, Key=f"{self.base}{area}/{relative}",
                     CopySource={"Bucket": storage.bucket, "Key": blob_key(storage, project, digest)},
                     ContentType=kind, MetadataDirective="REPLACE")

    def commit(self) -> None:
        try:
            self._wait()
        finally:
            self.pool.shutdown(wait=True)
        storage, base = self.storage, self.storage.version_prefix(self.project, self.version)
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
