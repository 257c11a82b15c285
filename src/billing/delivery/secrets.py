"""Webhook signing secrets: made here, shown once, stored encrypted (``billing.core.crypto``)."""

from __future__ import annotations

import base64
import secrets as random_source

from billing.config import Settings
from billing.core.crypto import encryptor_for

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(random_source.token_bytes(32)).decode()


def seal(settings: Settings, secret: str) -> bytes:
    """The secret encrypted with the deployment's current key."""
    return encryptor_for(settings.encryption_key_list).encrypt(secret.encode())


def unseal(settings: Settings, sealed: bytes) -> str:
    """The secret from its stored form (any configured key opens it)."""
    return encryptor_for(settings.encryption_key_list).decrypt(bytes(sealed)).decode()
