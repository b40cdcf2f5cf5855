"""Files an upload need not send because the version's live site already has them.

A version built by Docshelf (or published before blobs existed) has a manifest of its live site on
its last successful build (``Build.manifest``: path → SHA-256). A file of a new upload with one of
those digests is not asked for; at publish time it is copied from the live site into the project's
blobs, hashed on the way like any file that arrives (the live site may have changed meanwhile).
"""

from __future__ import annotations

import hashlib

from app import storage
from app.models import Project, Version
from app.services.builds import last_successful_build

_CHUNK = 1024 * 1024


def live_site_digests(version: Version) -> dict[str, str]:
    """SHA-256 → one path of the version's live site that has it (empty when nothing is published)."""
    if not version.built:
        return {}
    last = last_successful_build(version.id, with_manifest=True)
    files = ((last.manifest if last is not None else None) or {}).get("files") or {}
    out: dict[str, str] = {}
    for path, entry in sorted(files.items()):
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if isinstance(digest, str):
            out.setdefault(digest, path)
    return out


def copy_from_site(project: Project, version: Version, path: str, digest: str, size: int) -> bool:
    """Make the live site's file at ``path`` the blob ``digest``; False when it is gone or differs."""
    backend = storage.backend()
    found = backend.find(project.slug, version.slug, path)
    if found is None or found.needs_slash:
        return False
    sink = backend.blob_sink(project.slug)
    hasher, received = hashlib.sha256(), 0
    try:
        with backend.open(found) as fh:
            while received <= size and (chunk := fh.read(_CHUNK)):
                received += len(chunk)
                hasher.update(chunk)
                sink.write(chunk)
    except BaseException:
        sink.abort()
        raise
    if received != size or hasher.hexdigest() != digest:
        sink.abort()
        return False
    sink.commit(digest)
    return True
