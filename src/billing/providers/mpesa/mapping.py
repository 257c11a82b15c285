"""Daraja result codes to the unified payment status (providers.md sections 1 and 4.4)."""

from __future__ import annotations

from billing.providers.base import PaymentStatus, RefundStatus

__all__ = [
    "BEING_PROCESSED_ERROR_CODE",
    "INVALID_TOKEN_ERROR_CODE",
    "RESULT_DESCRIPTIONS",
    "is_being_processed",
    "refund_status_from_result_code",
    "status_from_result_code",
]

# STK Query answers HTTP 500 with this code while the customer has not answered the prompt.
# The same code also means "wrong credentials" on a push, so the message is checked too.
BEING_PROCESSED_ERROR_CODE = "500.001.1001"
INVALID_TOKEN_ERROR_CODE = "404.001.03"

RESULT_DESCRIPTIONS: dict[str, str] = {
    "0": "The service request is processed successfully.",
    "1": "The balance is insufficient for the transaction.",
    "2": "Declined: amount below the minimum.",
    "3": "Declined: amount above the maximum.",
    "4": "Declined: daily transfer limit exceeded.",
    "8": "Declined: maximum account balance exceeded.",
    "17": "Rule limited: same amount to the same customer within two minutes.",
    "1019": "Transaction has expired.",
    "1025": "Unable to send the prompt (message too long).",
    "1032": "Request cancelled by user.",
    "1037": "DS timeout user cannot be reached.",
    "2001": "The initiator information is invalid (wrong PIN).",
    "2028": "The request is not permitted according to product assignment.",
    "8006": "The security credential is locked.",
    "SFC_IC0003": "Operator does not exist.",
}

_CANCELLED = frozenset({"1032"})
_EXPIRED = frozenset({"1037", "1019"})


def _normalise(code: int | str) -> str:
    # The callback sends a number, STK Query a string ("0"), sometimes padded.
    return str(code).strip()


def status_from_result_code(code: int | str) -> PaymentStatus:
    """Map an STK ``ResultCode``: 0 succeeded, 1032 cancelled, 1037/1019 expired, else failed."""
    value = _normalise(code)
    if value == "0":
        return PaymentStatus.SUCCEEDED
    if value in _CANCELLED:
        return PaymentStatus.CANCELLED
    if value in _EXPIRED:
        return PaymentStatus.EXPIRED
    return PaymentStatus.FAILED


def is_being_processed(error_code: str, error_message: str) -> bool:
    """True for STK Query's "The transaction is being processed" answer (still pending)."""
    return (
        error_code.strip() == BEING_PROCESSED_ERROR_CODE
        and "being processed" in error_message.lower()
    )


def refund_status_from_result_code(code: int | str) -> RefundStatus:
    """Map a Reversal result ``ResultCode``: 0 succeeded, anything else (``R000002``...) failed."""
    return RefundStatus.SUCCEEDED if _normalise(code) == "0" else RefundStatus.FAILED
