"""Encryption at rest for environment variable values (Fernet, key derived from the secret key)."""

from __future__ import annotations

import base64
import hashlib
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


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
