"""Pesapal transaction status to the unified payment status (providers.md sections 1 and 5.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing.providers.base import PaymentStatus

__all__ = ["body_error", "status_from_transaction"]

_BY_CODE: dict[str, PaymentStatus] = {
    "0": PaymentStatus.PENDING,  # INVALID: the customer has not paid (yet)
    "1": PaymentStatus.SUCCEEDED,  # COMPLETED
    "2": PaymentStatus.FAILED,  # FAILED
    "3": PaymentStatus.REFUNDED,  # REVERSED
}
_BY_DESCRIPTION: dict[str, PaymentStatus] = {
    "INVALID": PaymentStatus.PENDING,
    "PENDING": PaymentStatus.PENDING,
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "FAILED": PaymentStatus.FAILED,
    "REVERSED": PaymentStatus.REFUNDED,
    "CANCELLED": PaymentStatus.CANCELLED,
    "CANCELED": PaymentStatus.CANCELLED,
}


def status_from_transaction(status_code: object, description: object) -> PaymentStatus:
    """Map GetTransactionStatus ``status_code``/``payment_status_description``.

    0/INVALID pending, 1/COMPLETED succeeded, 2/FAILED failed, 3/REVERSED refunded. An order
    cancelled through CancelOrder reads "Cancelled" (casing varies, so it is compared upper-case).
    Anything unknown stays pending: the poller will ask again rather than close the attempt on a
    guess.
    """
    word = str(description or "").strip().upper()
    if word in ("CANCELLED", "CANCELED"):
        return PaymentStatus.CANCELLED
    code = "" if status_code is None or isinstance(status_code, bool) else str(status_code).strip()
    if code in _BY_CODE:
        return _BY_CODE[code]
    return _BY_DESCRIPTION.get(word, PaymentStatus.PENDING)


def body_error(body: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """``(status, code, message)`` when a Pesapal body reports an error, else ``None``.

    Pesapal puts errors in the body, sometimes under HTTP 200, with ``status`` as a string. A
    successful answer may still carry an ``error`` object whose fields are all null, so the
    object's presence means nothing; its ``code``/``message`` and ``status`` do.
    """
    status = str(body.get("status") or "200").strip()
    error = body.get("error")
    code = message = ""
    if isinstance(error, Mapping):
        code = str(error.get("code") or error.get("error_type") or "")
        message = str(error.get("message") or "")
    if not code and not message and status.startswith("2"):
        return None
    return status, code, message or str(body.get("message") or "error")
