"""What a manifest of docs built elsewhere may hold: the path rules and the limits of one upload.

Every path names a regular file of the site, relative to its root, exactly as it will be served:
no absolute path, no ``.``/``..``/empty segment (so nothing can leave the version's directory), no
backslash (a Windows separator that some servers treat as one), no NUL or control character, no
duplicate and no file that another file's path uses as a directory. Symbolic links and special files
cannot be expressed at all: a manifest entry is content (size and SHA-256) that the server checks when
the bytes arrive. A refusal is one 400 naming every offending path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import ValidationError

MAX_PATH = 1024  # the search index's and the storage keys' room for a page's path
MAX_SEGMENT = 255  # a file name on every common filesystem
_HEX = frozenset("0123456789abcdef")
_SHOWN = 10  # offending paths named in the sentence (all of them are in ``errors``)


@dataclass(frozen=True)
class ManifestFile:
    path: str
    size: int
    sha256: str


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot name a file of a published site, or None."""
    if not path:
        return "The path is empty."
    if len(path) > MAX_PATH:
        return f"The path is longer than {MAX_PATH} characters."
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "The path contains a NUL or control character."
    if "\\" in path:
        return "The path contains a backslash; use / between directories."
    if path.startswith("/"):
        return "The path is absolute; give it relative to the site's root."
    segments = path.split("/")
    if any(s in ("", ".", "..") for s in segments):
        return "The path is not normalised (an empty, '.' or '..' segment)."
    if any(len(s.encode("utf-8", "surrogatepass")) > MAX_SEGMENT for s in segments):
        return f"A name in the path is longer than {MAX_SEGMENT} bytes."
    return None


def _entry_problem(entry: Any, max_bytes: int) -> str | None:
    if not isinstance(entry, Mapping):
        return "Each file is an object with path, size and sha256."
    size, digest = entry.get("size"), entry.get("sha256")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return "size must be a whole number of bytes, 0 or more."
    if size > max_bytes:
        return f"The file is larger than the upload limit of {max_bytes} bytes."
    if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= _HEX:
        return "sha256 must be 64 lowercase hexadecimal characters."
    return None


def _refuse(problems: dict[str, list[str]], what: str) -> ValidationError:
    paths = sorted(problems)
    shown = ", ".join(paths[:_SHOWN]) + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")
    return ValidationError(f"{what}: {shown}.", errors={"files": problems})


def check_manifest(files: list[Any], max_files: int, max_bytes: int) -> list[ManifestFile]:
    """The manifest's files sorted by path, or a 400 naming every offending path (and the limits)."""
    if not files:
        raise ValidationError("The manifest lists no files.", errors={"files": ["Give at least one file."]})
    if len(files) > max_files:
        message = f"The manifest lists {len(files)} files; one upload may hold {max_files}."
        raise ValidationError(message, errors={"files": [message]})
    problems: dict[str, list[str]] = {}
    checked: dict[str, ManifestFile] = {}
    for index, entry in enumerate(files):
        path = entry.get("path") if isinstance(entry, Mapping) else None
        key = path if isinstance(path, str) and path else f"#{index}"
        problem = path_problem(path) if isinstance(path, str) else "path must be a string."
        problem = problem or _entry_problem(entry, max_bytes)
        if problem is None and path in checked:
            problem = "The path is listed twice."
        if problem is not None:
            problems.setdefault(key, []).append(problem)
            continue
        checked[str(path)] = ManifestFile(str(path), int(entry["size"]), str(entry["sha256"]))
    for path in checked:  # "a" and "a/b": a file cannot also be a directory
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            if parent in checked:
                problems.setdefault(parent, []).append(f"The path is also used as a directory ({path}).")
    if problems:
        raise _refuse(problems, "These paths cannot be published")
    total = sum(f.size for f in checked.values())
    if total > max_bytes:
        message = f"The files add up to {total} bytes; one upload may hold {max_bytes}."
        raise ValidationError(message, errors={"files": [message]})
    return [checked[path] for path in sorted(checked)]


def refuse_paths(problems: dict[str, list[str]], what: str) -> ValidationError:
    """A 400 naming ``problems``' paths (missing or mismatching files at publish time)."""
    return _refuse(problems, what)
