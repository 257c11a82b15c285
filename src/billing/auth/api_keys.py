"""API key secrets: generation and hashing. Keys are random, so SHA-256 suffices at rest."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "bk_"


def generate_api_key() -> str:
    """A new secret: ``bk_`` + 43 url-safe characters (256 random bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(secret: str) -> str:
    """The stored form of a key (hex SHA-256)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    """The first characters shown in listings so people can tell keys apart."""
    return secret[: len(KEY_PREFIX) + 8]
