"""A project's blobs in object storage (``sites/<project>/.blobs/<sha256>``), and files clients PUT
straight to the bucket through presigned URLs (``sites/<project>/.pending/<upload id>/<sha256>``).

A presigned URL lets a client write one key, not say what the bytes are: what arrives under
``.pending/`` is read back and hashed before it becomes a blob (:func:`adopt_pending`), so a blob
key holds only checked bytes, as in the local backend.
"""

from __future__ import annotations

import hashlib
import tempfile
from typing import TYPE_CHECKING, Any

from app.storage.base import BLOBS, BlobSink, StorageUnavailable, check_digest

if TYPE_CHECKING:
    from app.storage.s3 import S3Storage

_SPOOL = 8 * 1024 * 1024  # a file up to this size stays in memory on its way to the bucket
_CHUNK = 1024 * 1024


def blob_key(storage: S3Storage, project: str, digest: str) -> str:
    return f"{storage.prefix}sites/{project}/{BLOBS}/{check_digest(digest)}"


def pending_key(storage: S3Storage, project: str, upload_id: int, digest: str) -> str:
    return f"{storage.prefix}sites/{project}/.pending/{int(upload_id)}/{check_digest(digest)}"


class S3BlobSink(BlobSink):
    """Spooled locally (memory, then a temporary file), put as one object when committed."""

    def __init__(self, storage: S3Storage, project: str) -> None:
        self.storage, self.project = storage, project
        self.file: Any = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115 - closed below

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self, digest: str) -> None:
        key = blob_key(self.storage, self.project, digest)
        try:
            self.file.seek(0)
            self.storage.client.upload_fileobj(self.file, self.storage.bucket, key)
        except Exception as exc:
            raise StorageUnavailable(str(exc)) from exc
        finally:
            self.file.close()

    def abort(self) -> None:
        self.file.close()


def presign_put(storage: S3Storage, project: str, upload_id: int, digest: str, expires: int) -> str:
    key = pending_key(storage, project, upload_id, digest)
    return str(storage.client.generate_presigned_url(
        "put_object", Params={"Bucket": storage.bucket, "Key": key}, ExpiresIn=expires))


def adopt_pending(storage: S3Storage, project: str, upload_id: int, digest: str, size: int) -> bool | None:
    """See :meth:`app.storage.base.Storage.adopt_pending`."""
    key = pending_key(storage, project, upload_id, digest)
    found = storage.head(key)
    if found is None:
        return None
    client, bucket = storage.client, storage.bucket
    good = found.size == size
    if good:
        hasher = hashlib.sha256()
        try:
            body = client.get_object(Bucket=bucket, Key=key)["Body"]
            for chunk in body.iter_chunks(_CHUNK):
                hasher.update(chunk)
        except Exception as exc:
            raise StorageUnavailable(str(exc)) from exc
        good = hasher.hexdigest() == digest
    try:
        if good:
            client.copy_object(Bucket=bucket, Key=blob_key(storage, project, digest),
                               CopySource={"Bucket": bucket, "Key": key})
        client.delete_object(Bucket=bucket, Key=key)
    except Exception as exc:
        raise StorageUnavailable(str(exc)) from exc
    return good
