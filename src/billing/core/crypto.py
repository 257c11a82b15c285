"""Encryption at rest and derived secrets.

Stored values that could hold a secret (idempotent responses carrying API key secrets, COD
codes or client secrets) are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the
``cryptography`` package). ``BILLING_ENCRYPTION_KEYS`` lists keys, newest first: the first
encrypts, every key decrypts, so a key is rotated by prepending a new one and dropping the old
one once nothing it encrypted is still kept (idempotent responses live 24 h).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


class Encryptor:
    """Encrypts with the first key, decrypts with any (key rotation)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, plaintext: bytes) -> bytes:
        """Authenticated ciphertext of ``plaintext``."""
        return self._fernet.encrypt(plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        """The plaintext; ``DecryptionError`` when no key opens it or it was altered."""
        try:
            return self._fernet.decrypt(ciphertext)
        except InvalidToken as exc:
            raise DecryptionError("no configured key decrypts this value") from exc


def parse_keys(value: str) -> tuple[str, ...]:
    """Comma-separated Fernet keys (url-safe base64 of 32 bytes), each checked."""
    keys = tuple(part.strip() for part in value.split(",") if part.strip())
    for key in keys:
        try:
            Fernet(key.encode())
        except ValueError as exc:
            raise ValueError(
                "each encryption key must be 32 url-safe base64-encoded bytes "
                "(generate one with: billing generate-key)"
            ) from exc
    return keys


@lru_cache(maxsize=8)
def encryptor_for(keys: tuple[str, ...]) -> Encryptor:
    """One ``Encryptor`` per key list (building Fernet objects is cheap, but not free)."""
    return Encryptor(keys)


def generate_key() -> str:
    """A new random Fernet key."""
    return Fernet.generate_key().decode()


def derive_token(secret: str, purpose: str, *, length: int = 32) -> str:
    """An unguessable URL-safe token for ``purpose``, derived from a deployment secret.

    HMAC-SHA256 keeps tokens of different purposes independent: one leaked callback URL does
    not reveal another provider's token or the secret.
    """
    digest = hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented token with the expected one."""
    if not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
