"""Verification of the ``Stripe-Signature`` header of webhook deliveries.

Header: ``t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=...]``. The signature is
``hex(HMAC_SHA256(key=endpoint secret, msg=f"{t}." + raw body))`` over the exact bytes received
(https://docs.stripe.com/webhooks#verify-manually). Several ``v1`` values appear while a secret is
being rolled, and we may hold several secrets for the same reason: any pair that matches is
enough. Unknown schemes (``v0``) are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from billing.providers.base import CallbackVerificationError, ProviderKey

DEFAULT_TOLERANCE_S = 300
# A real header has one timestamp and a handful of signatures; a huge one is an attack.
_MAX_HEADER_CHARS = 4096


def _fail(code: str, message: str) -> CallbackVerificationError:
    return CallbackVerificationError(ProviderKey.STRIPE, code, message)


def parse_signature_header(header: str) -> tuple[int, list[str]]:
    """Split a ``Stripe-Signature`` value into its timestamp and its ``v1`` signatures.

    Raises:
        CallbackVerificationError: ``header_malformed`` when there is no single integer ``t``
            or no ``v1`` value.
    """
    if len(header) > _MAX_HEADER_CHARS:
        raise _fail("header_malformed", "Stripe-Signature header is too long")
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        scheme, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if scheme == "t":
            timestamps.append(value.strip())
        elif scheme == "v1":
            signatures.append(value.strip())
    if len(timestamps) != 1 or not timestamps[0].isascii() or not timestamps[0].isdigit():
        raise _fail("header_malformed", "Stripe-Signature header has no valid timestamp")
    if not signatures:
        raise _fail("header_malformed", "Stripe-Signature header has no v1 signature")
    return int(timestamps[0]), signatures


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex ``v1`` signature of ``body`` sent at ``timestamp`` under ``secret``."""
    signed_payload = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed_payload, hashlib.sha256).hexdigest()


def verify_signature(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    *,
    now: float,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> int:
    """Check a delivery's signature and freshness; return the signed timestamp.

    The signature is checked before the timestamp, so a forged header never learns whether its
    timestamp would have been acceptable. Unlike the official SDK we also refuse timestamps more
    than ``tolerance_s`` in the future: a clock that far ahead is a replay window of its own.

    Raises:
        CallbackVerificationError: ``header_missing``, ``header_malformed``, ``no_secret``
            (nothing configured to verify with), ``signature_invalid`` or
            ``timestamp_outside_tolerance``.
    """
    if not header:
        raise _fail("header_missing", "no Stripe-Signature header")
    usable = [secret for secret in secrets if secret]
    if not usable:
        raise _fail("no_secret", "no webhook secret is configured")
    timestamp, signatures = parse_signature_header(header)
    candidates = [signature.encode("utf-8", "replace") for signature in signatures]
    matched = False
    for secret in usable:
        expected = compute_signature(secret, timestamp, body).encode()
        for candidate in candidates:
            # compare_digest on every pair: the time taken does not reveal which one matched.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise _fail("signature_invalid", "no signature matches the payload")
    if abs(now - timestamp) > tolerance_s:
        raise _fail(
            "timestamp_outside_tolerance",
            f"timestamp {timestamp} is outside the {tolerance_s} s tolerance",
        )
    return timestamp
