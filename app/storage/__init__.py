"""Where built sites, downloads and finished build logs live: :func:`backend` is the one seam.

``DOCSHELF_STORAGE_URL`` unset: the local directory ``STORAGE_DIR`` (``<project>/<version>/html/`` and
``.../downloads/<project>.<ext>``), the embedded default. ``s3://bucket/prefix``: S3-compatible object
storage (:mod:`app.storage.s3`), shared by every web and worker host. Repository caches are not
storage: each worker keeps its own clones under its ``DATA_DIR``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from app.storage.base import Found, Storage, StorageUnavailable, StoredObject, Upload
from app.storage.local import LocalStorage

__all__ = ["Found", "Storage", "StorageUnavailable", "StoredObject", "Upload", "backend"]

_clients: dict[tuple[Any, ...], Any] = {}
_lock = threading.Lock()


class StorageURLError(ValueError):
    """``DOCSHELF_STORAGE_URL`` is not ``s3://bucket[/prefix]``."""


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise StorageURLError(f"DOCSHELF_STORAGE_URL must look like s3://bucket/prefix, not {url!r}")
    return parts.netloc, parts.path.strip("/")


def _s3_client(config: Mapping[str, Any]) -> Any:
    """One boto3 client per process and settings (clients are thread-safe, but not fork-safe)."""
    key = (os.getpid(), config.get("STORAGE_ENDPOINT_URL"), config.get("STORAGE_REGION"),
           config.get("STORAGE_ACCESS_KEY_ID"), config.get("STORAGE_SECRET_ACCESS_KEY"))
    with _lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config as BotoConfig

            endpoint = config.get("STORAGE_ENDPOINT_URL") or None
            boto_config = BotoConfig(
                # MinIO, Ceph and test servers on an address rather than a name need path-style URLs.
                s3={"addressing_style": "path" if endpoint else "auto"},
                signature_version="s3v4",
                retries={"max_attempts": 3, "mode": "standard"},
                max_pool_connections=32,
                connect_timeout=5,
                read_timeout=30,
                # Not every S3-compatible server accepts the newer default checksums.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint,
                region_name=config.get("STORAGE_REGION") or "us-east-1",
                aws_access_key_id=config.get("STORAGE_ACCESS_KEY_ID") or None,
                aws_secret_access_key=config.get("STORAGE_SECRET_ACCESS_KEY") or None,
                config=boto_config,
            )
            _clients[key] = client
    return client


def backend(config: Mapping[str, Any] | None = None, storage_dir: str | None = None) -> Storage:
    """The configured storage (the app's settings by default); ``storage_dir`` forces a local one."""
    if storage_dir is not None:
        return LocalStorage(storage_dir)
    config = current_app.config if config is None else config
    url = config.get("STORAGE_URL")
    if not url:
        return LocalStorage(config["STORAGE_DIR"])
    from app.storage.s3 import S3Storage

    bucket, prefix = parse_url(url)
    retention = int(config.get("STORAGE_RETENTION") or 0)
    return S3Storage(_s3_client(config), bucket, prefix, retention=retention,
                     abandon_after=retention + int(config.get("BUILD_TIMEOUT") or 900) * 2, epoch=_epoch)


def _epoch() -> str | None:
    """The data generation (:mod:`app.freshness`), under which a read pointer may be reused."""
    from flask import has_app_context

    if not has_app_context():
        return None
    from app import freshness

    return freshness.generation(current_app).current()


def root(storage_dir: str | None = None) -> str:
    return storage_dir or current_app.config["STORAGE_DIR"]


def project_dir(project_slug: str, storage_dir: str | None = None) -> str:
    return os.path.join(root(storage_dir), project_slug)


def version_dir(project_slug: str, version_slug: str, storage_dir: str | None = None) -> str:
    return os.path.join(project_dir(project_slug, storage_dir), version_slug)


def remove_project(project_slug: str, storage_dir: str | None = None) -> None:
    backend(storage_dir=storage_dir).remove_project(project_slug)


def remove_version(project_slug: str, version_slug: str, storage_dir: str | None = None) -> None:
    backend(storage_dir=storage_dir).remove_version(project_slug, version_slug)


def remove_logs(build_ids: list[int]) -> None:
    """Delete the finished logs of these builds that were moved to object storage."""
    if build_ids:
        backend().remove_logs(build_ids)


def repository_cache(project_id: int, data_dir: str | None = None) -> str:
    """The bare clone the workers keep per project (``<DATA_DIR>/repos/<id>``): a per-worker cache."""
    return os.path.join(data_dir or current_app.config["DATA_DIR"], "repos", str(project_id))


def remove_repository_cache(project_id: int, data_dir: str | None = None) -> None:
    # Ids can be reused (SQLite): a deleted project's clone must not linger for the next one.
    shutil.rmtree(repository_cache(project_id, data_dir), ignore_errors=True)
