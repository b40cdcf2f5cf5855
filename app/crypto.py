"""Encryption at rest for environment variable values (Fernet, key derived from the secret key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

TOKEN_PREFIX = "dsh_"


def _fernet(secret_key: str) -> Fernet:
    # HKDF with a purpose label: the same secret key signs sessions, so derive a separate key.
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"docshelf envvar v1").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(raw))


def encrypt(value: str, secret_key: str | None = None) -> str:
    return _fernet(secret_key or current_app.config["SECRET_KEY"]).encrypt(value.encode()).decode()


def decrypt(token: str, secret_key: str | None = None) -> str:
    try:
        return _fernet(secret_key or current_app.config["SECRET_KEY"]).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # key rotated without re-encrypting: say so instead of leaking a trace
        raise ValueError("environment variable cannot be decrypted with the current secret key") from exc


def new_api_key() -> str:
    """A random key with a recognisable prefix, so secret scanners can spot leaked ones."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


#: Secrets shared with another system (webhook signing keys, integration tokens): stored encrypted,
#: shown once, and bounded so they fit the headers and forms that carry them. Anyone may send a
#: webhook with a guess, so a chosen secret has at least 32 characters (a generated one has 43).
MIN_SHARED_SECRET_LENGTH = 32
MAX_SHARED_SECRET_LENGTH = 255


def new_shared_secret() -> str:
    return secrets.token_urlsafe(32)


def shared_secret_error(secret: str) -> str | None:
    """Why a caller-chosen shared secret is refused (never echoing it: errors end up in logs), or None."""
    if len(secret.strip()) < MIN_SHARED_SECRET_LENGTH or len(secret) > MAX_SHARED_SECRET_LENGTH:
        return (f"The secret must have between {MIN_SHARED_SECRET_LENGTH} and {MAX_SHARED_SECRET_LENGTH} "
                "characters (leave it out to have one generated).")
    return None


def hub_signature(secret: str, body: bytes) -> str:
    """GitHub's ``X-Hub-Signature-256`` value: ``sha256=`` and the hex HMAC-SHA256 of the exact body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
