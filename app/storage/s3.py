"""S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, Ceph) through boto3.

Layout below ``s3://<bucket>/<prefix>/``::

    sites/<project>/<version>/live                  the pointer: the tag of the live upload
    sites/<project>/<version>/t/<tag>/html/...      one upload (a build's site) per tag
    sites/<project>/<version>/t/<tag>/downloads/<project>.zip|pdf|epub
    sites/<project>/<version>/retired/<tag>         since when a tag is no longer live
    logs/<build id>.txt                             a finished build's log

Object storage has no rename, so publishing is atomic the other way round: every object of a new
upload goes under a fresh tag that no reader knows, and only then is the pointer (one small object,
replaced in one PUT) switched to it. A reader resolves the pointer first and then reads only below
that tag, so it sees the old version or the new one, never a mix, and a failed upload leaves the
pointer (and the last good version) alone. Objects under a tag are never overwritten, which makes
their ETags stable validators. A retired tag stays readable for ``STORAGE_RETENTION`` seconds, for
readers that resolved the pointer just before the switch, and is deleted by a later publish.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, cast

from app.storage import s3_blobs
from app.storage.base import (
    DOWNLOADS,
    HTML,
    BlobSink,
    Found,
    Storage,
    StorageUnavailable,
    StoredObject,
    Upload,
)
from app.storage.s3_upload import HASHES, S3Upload, missing

_CHUNK = 64 * 1024
_POINTERS_KEPT = 10_000
#: (bucket, pointer key) → (data generation it was read under, tag): see :meth:`S3Storage.live_tag`.
_pointers: dict[tuple[str, str], tuple[str, str | None]] = {}


def _safe(filename: str) -> bool:
    """Defence in depth below the docs server's own check: no empty, ``.`` or ``..`` segment."""
    parts = filename.rstrip("/").split("/") if filename else []
    return not any(part in ("", ".", "..") for part in parts)


class S3Storage(Storage):
    """One bucket and key prefix; ``client`` is a boto3 S3 client (thread-safe, one per process)."""

    local = False

    def __init__(self, client: Any, bucket: str, prefix: str, *, retention: int, abandon_after: int,
                 epoch: Callable[[], str | None] | None = None) -> None:
        self.client = client
        self.epoch = epoch
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.retention = retention
        self.abandon_after = abandon_after

    # --- keys ---
    def version_prefix(self, project: str, version: str) -> str:
        return f"{self.prefix}sites/{project}/{version}/"

    def live_tag(self, project: str, version: str, *, fresh: bool = False) -> str | None:
        """The tag the pointer names, or None when the version was never published.

        Readers reuse the pointer they read while ``epoch`` (the database's data generation) stays
        the same: every publish is followed by a committed write (the build's end), which moves it,
        so a cached pointer is never older than the version the database says was built. Writers
        read it ``fresh``.
        """
        key = self.version_prefix(project, version) + "live"
        epoch = None if fresh or self.epoch is None else self.epoch()
        if epoch is not None:
            hit = _pointers.get((self.bucket, key))
            if hit is not None and hit[0] == epoch:
                return hit[1]
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)
            tag = body["Body"].read().decode("ascii", "replace").strip() or None
        except Exception as exc:
            if not missing(exc):
                raise StorageUnavailable(str(exc)) from exc
            tag = None
        if epoch is not None:
            if len(_pointers) >= _POINTERS_KEPT:
                _pointers.clear()
            _pointers[(self.bucket, key)] = (epoch, tag)
        return tag

    def _area(self, project: str, version: str, area: str) -> str | None:
        tag = self.live_tag(project, version)
        return None if tag is None else f"{self.version_prefix(project, version)}t/{tag}/{area}/"

    def head(self, key: str) -> StoredObject | None:
        try:
            meta = self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if missing(exc):
                return None
            raise StorageUnavailable(str(exc)) from exc
        return StoredObject(key, int(meta["ContentLength"]), str(meta["ETag"]).strip('"'),
                            meta.get("LastModified"))

    def _any_below(self, prefix: str) -> bool:
        try:
            listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1)
        except Exception as exc:
            raise StorageUnavailable(str(exc)) from exc
        return bool(listed.get("KeyCount"))

    def _list(self, prefix: str, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        try:
            yield from paginator.paginate(**kwargs)
        except Exception as exc:
            raise StorageUnavailable(str(exc)) from exc

    # --- reading ---
    def has_site(self, project: str, version: str) -> bool:
        return self.live_tag(project, version) is not None

    def find(self, project: str, version: str, filename: str) -> Found | None:
        if not _safe(filename):
            return None
        base = self._area(project, version, HTML)
        if base is None:
            return None
        if not filename or filename.endswith("/"):
            obj = self.head(f"{base}{filename}index.html")
            return Found(obj.key, stored=obj) if obj is not None else None
        obj = self.head(base + filename)
        if obj is not None:
            return Found(obj.key, stored=obj)
        if self._any_below(f"{base}{filename}/"):  # a "directory": other keys below it
            return Found(base + filename, needs_slash=True)
        return None

    def download(self, project: str, version: str, name: str) -> Found | None:
        if not _safe(name) or "/" in name:
            return None
        base = self._area(project, version, DOWNLOADS)
        obj = self.head(base + name) if base is not None else None
        return Found(obj.key, stored=obj) if obj is not None else None

    def site_files(self, project: str, version: str) -> list[tuple[Found, str]]:
        base = self._area(project, version, HTML)
        if base is None:
            return []
        out: list[tuple[Found, str]] = []
        for page in self._list(base):
            for item in page.get("Contents", []):
                obj = StoredObject(item["Key"], int(item["Size"]), str(item["ETag"]).strip('"'),
                                   item.get("LastModified"))
                out.append((Found(obj.key, stored=obj), obj.key[len(base):]))
        return sorted(out, key=lambda pair: pair[1])

    def open(self, found: Found) -> BinaryIO:
        try:
            return cast(BinaryIO, self.client.get_object(Bucket=self.bucket, Key=found.path)["Body"])
        except Exception as exc:
            if missing(exc):
                raise FileNotFoundError(found.path) from exc
            raise StorageUnavailable(str(exc)) from exc

    def read_range(self, found: Found, start: int, stop: int) -> Iterator[bytes]:
        """One ranged GET, streamed (never the bytes before ``start``)."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=found.path,
                                          Range=f"bytes={start}-{stop - 1}")
        except Exception as exc:
            raise StorageUnavailable(str(exc)) from exc
        stream = body["Body"]
        try:
            yield from stream.iter_chunks(_CHUNK)
        finally:
            stream.close()

    def presigned_url(self, found: Found, expires: int = 60) -> str:
        """A short-lived GET URL of the object (for nginx's internal proxying location)."""
        return str(self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": found.path}, ExpiresIn=expires))

    # --- writing ---
    def begin(self, project: str, version: str, build_id: int) -> Upload:
        tag = f"{int(time.time() * 1000):013d}-b{build_id}-{secrets.token_hex(4)}"
        return S3Upload(self, project, version, tag, live=self._live_hashes(project, version))

    def _live_hashes(self, project: str, version: str) -> tuple[str, dict[str, str]] | None:
        """(key prefix, file hashes) of the live upload, for copying its unchanged files; None when
        there is none or it has no readable hashes (published before they were kept): upload all."""
        live = self.live_tag(project, version, fresh=True)
        if live is None:
            return None
        base = f"{self.version_prefix(project, version)}t/{live}/"
        try:
            hashes = json.loads(self.client.get_object(Bucket=self.bucket, Key=base + HASHES)["Body"].read())
        except Exception as exc:
            if missing(exc) or isinstance(exc, ValueError):
                return None
            raise StorageUnavailable(str(exc)) from exc
        if not isinstance(hashes, dict) or not all(isinstance(v, str) for v in hashes.values()):
            return None
        return base, hashes

    def blob_sink(self, project: str) -> BlobSink:
        return s3_blobs.S3BlobSink(self, project)

    def presign_blob_put(self, project: str, upload_id: int, digest: str, size: int,
                         expires: int) -> str | None:
        return s3_blobs.presign_put(self, project, upload_id, digest, expires)

    def adopt_pending(self, project: str, upload_id: int, digest: str, size: int) -> bool | None:
        return s3_blobs.adopt_pending(self, project, upload_id, digest, size)

    def discard_pending(self, project: str, upload_id: int) -> None:
        self.delete_prefix(f"{self.prefix}sites/{project}/.pending/{int(upload_id)}/")

    def delete_prefix(self, prefix: str) -> None:
        keys: list[str] = []
        for page in self._list(prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        self._delete(keys)

    def _delete(self, keys: list[str]) -> None:
        try:
            for start in range(0, len(keys), 1000):
                batch = [{"Key": key} for key in keys[start:start + 1000]]
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        except Exception as exc:
            raise StorageUnavailable(str(exc)) from exc

    def remove_version(self, project: str, version: str) -> None:
        self.delete_prefix(self.version_prefix(project, version))

    def remove_project(self, project: str) -> None:
        self.delete_prefix(f"{self.prefix}sites/{project}/")

    def clean_up(self, project: str, version: str, now: float | None = None) -> list[str]:
        """Delete tags retired for longer than the retention, and uploads abandoned by a worker that
        died mid-publish; returns the tags deleted. Never the live one."""
        now = time.time() if now is None else now
        base = self.version_prefix(project, version)
        live = self.live_tag(project, version, fresh=True)
        retired: dict[str, float] = {}
        for page in self._list(f"{base}retired/"):
            for item in page.get("Contents", []):
                retired[item["Key"].rsplit("/", 1)[1]] = item["LastModified"].timestamp()
        tags: set[str] = set()
        for page in self._list(f"{base}t/", delimiter="/"):
            tags.update(p["Prefix"][len(base) + 2:].rstrip("/") for p in page.get("CommonPrefixes", []))
        gone = []
        for tag in sorted((tags | set(retired)) - {live}):
            since = retired.get(tag)
            started = _tag_time(tag)
            if (since is not None and now - since >= self.retention) or (
                since is None and started is not None and now - started >= self.abandon_after
            ):
                self.delete_prefix(f"{base}t/{tag}/")
                self._delete([f"{base}retired/{tag}"])
                gone.append(tag)
        return gone

    # --- finished build logs ---
    def _log_key(self, build_id: int) -> str:
        return f"{self.prefix}logs/{int(build_id)}.txt"

    def put_log(self, build_id: int, data: bytes) -> bool:
        self.client.put_object(Bucket=self.bucket, Key=self._log_key(build_id), Body=data,
                               ContentType="text/plain; charset=utf-8")
        return True

    def get_log(self, build_id: int) -> bytes | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._log_key(build_id))["Body"]
            return bytes(body.read())
        except Exception as exc:
            if missing(exc):
                return None
            raise StorageUnavailable(str(exc)) from exc

    def remove_logs(self, build_ids: list[int]) -> None:
        self._delete([self._log_key(build_id) for build_id in build_ids])


def _tag_time(tag: str) -> float | None:
    stamp = tag.split("-", 1)[0]
    return int(stamp) / 1000 if stamp.isdigit() else None

