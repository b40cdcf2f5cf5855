"""A project's repository: its URL, type and credentials, set together because each constrains the others.

Credentials are an HTTPS token (with an optional user name) or an SSH deploy key. They are write-only:
stored encrypted with :mod:`app.crypto` (like environment variables), shown only as ``{kind, set}``,
decrypted only by the worker at clone/fetch time (:mod:`workers.git_auth`), never given to a build.

Two rules keep a stored secret from walking away with someone who may edit the project but cannot
read the secret: credentials belong to the URL's origin (scheme, host, port), so moving the URL to
another origin needs the credentials sent again (or ``null``); and a token is only ever sent over
https (http only where private hosts are allowed, i.e. development). A token written into the URL
(``https://user:token@host``) is moved into the credentials field, so the stored URL holds none.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.crypto import decrypt, encrypt
from app.errors import ValidationError
from app.models import Project
from app.safety import url_credentials
from app.safety.local_repositories import RepositoryRules
from app.safety.urlcheck import check_repository_url, current_rules
from app.services import audit

KINDS = ("token", "ssh_key")
#: GitHub's name for a token login; GitLab and Bitbucket want their own (``oauth2``, ``x-token-auth``).
DEFAULT_USERNAME = "x-access-token"
MAX_TOKEN_LENGTH = 4096
MAX_KEY_LENGTH = 16384
MAX_USERNAME_LENGTH = 255


@dataclass(frozen=True)
class RepositoryCredentials:
    kind: str  # one of KINDS
    secret: str  # the token, or the private key in PEM/OpenSSH form
    username: str | None = None

    @property
    def login(self) -> str:
        return self.username or DEFAULT_USERNAME


def _invalid(message: str, field: str | None = None) -> ValidationError:
    errors: Any = {field: [message]} if field else [message]
    nested = {"repository": {"credentials": errors}}
    return ValidationError(f"repository.credentials: {message}", errors=nested,
                           code="invalid_repository_credentials")


def _printable(value: str) -> bool:
    return bool(value) and not any(ord(c) < 33 or ord(c) == 127 for c in value)


def _ssh_key_problem(key: str) -> str | None:
    lines = key.split("\n")
    if not (lines[0].startswith("-----BEGIN ") and lines[0].endswith("PRIVATE KEY-----")
            and lines[-1].startswith("-----END ") and lines[-1].endswith("PRIVATE KEY-----")):
        return "Give the private key in PEM or OpenSSH form (-----BEGIN ... PRIVATE KEY-----)."
    if "ENCRYPTED" in lines[0] or any(line.startswith("Proc-Type: 4,ENCRYPTED") for line in lines):
        return "The key is protected by a passphrase; builds cannot type it. Use a key without one."
    if lines[0] == "-----BEGIN OPENSSH PRIVATE KEY-----":
        try:
            blob = base64.b64decode("".join(lines[1:-1]), validate=True)
        except (binascii.Error, ValueError):
            return "The OpenSSH key is not valid base64."
        magic = b"openssh-key-v1\x00"
        if not blob.startswith(magic):
            return "The OpenSSH key is not in the openssh-key-v1 format."
        start = len(magic) + 4  # the cipher's name follows its 4-byte length: "none" without a passphrase
        if blob[start:start + int.from_bytes(blob[len(magic):start], "big")] != b"none":
            return "The key is protected by a passphrase; builds cannot type it. Use a key without one."
    return None


def parse(data: Mapping[str, Any]) -> RepositoryCredentials:
    """The credentials in a request body (``token`` with optional ``username``, or ``ssh_key``)."""
    token, key, username = data.get("token"), data.get("ssh_key"), data.get("username")
    if (token is None) == (key is None):
        raise _invalid("Give exactly one of token (HTTPS) or ssh_key (an SSH deploy key).")
    if key is not None:
        if username is not None:
            raise _invalid("A user name goes with a token; an SSH key's user is in the URL.", "username")
        key = str(key).replace("\r\n", "\n").strip()
        if len(key) > MAX_KEY_LENGTH:
            raise _invalid(f"Ensure the key has no more than {MAX_KEY_LENGTH} characters.", "ssh_key")
        problem = _ssh_key_problem(key)
        if problem:
            raise _invalid(problem, "ssh_key")
        return RepositoryCredentials("ssh_key", key + "\n")
    token = str(token)
    if not _printable(token) or len(token) > MAX_TOKEN_LENGTH:
        raise _invalid(f"A token has 1 to {MAX_TOKEN_LENGTH} characters, without spaces.", "token")
    if username is not None and (not _printable(username) or ":" in username
                                 or len(username) > MAX_USERNAME_LENGTH):
        raise _invalid("A user name has no spaces or ':' and at most 255 characters.", "username")
    return RepositoryCredentials("token", token, username or None)


def fit_problem(url: str, kind: str, rules: RepositoryRules) -> str | None:
    """Why credentials of ``kind`` cannot be used with ``url``, or None."""
    scheme = url_credentials.scheme_of(url)
    if kind == "ssh_key":
        return None if scheme == "ssh" else "An SSH key needs an ssh URL (git@host:path or ssh://host/path)."
    if scheme == "https" or (scheme == "http" and rules.private_hosts):
        return None
    return "A token is sent only over https; use an https repository URL."


def store(project: Project, credentials: RepositoryCredentials | None) -> None:
    if credentials is None:
        project.repository_credentials_kind = None
        project.repository_credentials_encrypted = None
        return
    blob = {"secret": credentials.secret, "username": credentials.username}
    project.repository_credentials_kind = credentials.kind
    project.repository_credentials_encrypted = encrypt(json.dumps(blob))


def load(project: Project) -> RepositoryCredentials | None:
    """The clear credentials (worker only); ValueError when the secret key changed since they were set."""
    if not project.repository_credentials_kind or not project.repository_credentials_encrypted:
        return None
    try:
        blob = json.loads(decrypt(project.repository_credentials_encrypted))
    except ValueError as exc:
        raise ValueError("the repository credentials cannot be decrypted with the current secret key; "
                         "set them again") from exc
    return RepositoryCredentials(project.repository_credentials_kind, blob["secret"], blob.get("username"))


def describe(project: Project) -> dict[str, Any]:
    """What the API shows: the kind and whether any are set, never the secret."""
    kind = project.repository_credentials_kind
    return {"kind": kind, "set": kind is not None}


def apply_repository(project: Project, data: Mapping[str, Any], *, creating: bool = False) -> str | None:
    """Set ``repository`` fields from a request body (``url``, ``type``, ``credentials``); returns the
    audit action when the credentials changed (the caller records it once the project has its slug)."""
    rules = current_rules()
    current = None if creating else project.repository_url
    url = data.get("url", current)
    assert url is not None
    if current is not None and url != current and url == url_credentials.masked(current):
        url = current  # the masked URL a client read and sent back unchanged
    keep = "credentials" not in data
    credentials = None if keep or data["credentials"] is None else parse(data["credentials"])
    if url != current:
        reason = check_repository_url(url, rules)
        if reason:
            raise ValidationError(reason, errors={"repository": {"url": [reason]}},
                                  code="invalid_repository_url")
        url, username, password = url_credentials.split(url)
        if password is not None:
            if credentials is not None:
                raise _invalid("Give credentials in the URL or in repository.credentials, not in both.")
            keep, credentials = False, RepositoryCredentials("token", password, username)
        if (keep and current is not None and project.repository_credentials_kind
                and url_credentials.origin(url) != url_credentials.origin(current)):
            raise _invalid("The repository moved to another host: send its credentials again, or null to "
                           "remove the old ones.")
    kind = project.repository_credentials_kind if keep else (credentials.kind if credentials else None)
    problem = fit_problem(url, kind, rules) if kind else None
    if problem:
        raise _invalid(problem)
    project.repository_url = url
    if "type" in data or creating:
        project.repository_type = data.get("type", "git")
    if keep or (credentials is None and not project.repository_credentials_kind):
        return None
    store(project, credentials)
    return "repository.credentials_set" if credentials else "repository.credentials_removed"


def record_change(project: Project, action: str | None) -> None:
    """Audit who set or removed a project's credentials (their kind, never the secret)."""
    if action:
        audit.record(action, project=project.slug, target=project.repository_credentials_kind)
