"""Mollie's raw objects and statuses mapped to the unified model (providers.md section 1)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from billing.providers.base import (
    NextAction,
    PaymentResult,
    PaymentStatus,
    RefundStatus,
)
from billing.providers.mollie.amounts import optional_amount

_PAYMENT_STATUSES: Mapping[str, PaymentStatus] = {
    "open": PaymentStatus.PENDING,
    "pending": PaymentStatus.PROCESSING,
    "authorized": PaymentStatus.PROCESSING,
    "paid": PaymentStatus.SUCCEEDED,
    "failed": PaymentStatus.FAILED,
    "canceled": PaymentStatus.CANCELLED,
    "expired": PaymentStatus.EXPIRED,
}

_REFUND_STATUSES: Mapping[str, RefundStatus] = {
    "queued": RefundStatus.PENDING,
    "pending": RefundStatus.PENDING,
    "processing": RefundStatus.PENDING,
    "refunded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELLED,
}

MandateStatus = Literal["valid", "pending", "invalid"]
_MANDATE_STATUSES: Mapping[str, MandateStatus] = {
    "valid": "valid",
    "pending": "pending",
    "invalid": "invalid",
}


def payment_status(payment: Mapping[str, Any]) -> PaymentStatus:
    """Unified status of a Mollie payment.

    Mollie v2 has no ``refunded`` status: a paid payment whose ``amountRefunded`` equals its
    ``amount`` is refunded for us.
    """
    status = _PAYMENT_STATUSES.get(str(payment.get("status", "")), PaymentStatus.PENDING)
    if status is PaymentStatus.SUCCEEDED:
        amount = optional_amount(payment.get("amount"))
        refunded = optional_amount(payment.get("amountRefunded"))
        if amount and refunded and refunded.value > 0 and refunded.value >= amount.value:
            return PaymentStatus.REFUNDED
    return status


def refund_status(raw: str) -> RefundStatus:
    """Unified status of a Mollie refund (``processing`` is still pending for us)."""
    return _REFUND_STATUSES.get(raw, RefundStatus.PENDING)


def mandate_status(raw: object) -> MandateStatus:
    """A mandate's status; anything unknown counts as invalid, never as usable."""
    return _MANDATE_STATUSES.get(str(raw), "invalid")


def payment_result(payment: Mapping[str, Any]) -> PaymentResult:
    """A ``PaymentResult`` from a Mollie payment object."""
    status = payment_status(payment)
    details = payment.get("details")
    details = details if isinstance(details, Mapping) else {}
    failed = status is PaymentStatus.FAILED
    return PaymentResult(
        provider_ref=str(payment.get("id", "")),
        status=status,
        raw_status=str(payment.get("status", "")),
        amount=optional_amount(payment.get("amount")),
        next_action=_checkout(payment) if status is PaymentStatus.PENDING else None,
        failure_code=_opt_str(details.get("failureReason")) if failed else None,
        failure_message=_opt_str(details.get("failureMessage")) if failed else None,
        paid_at=parse_time(payment.get("paidAt")),
        refunded_amount=optional_amount(payment.get("amountRefunded")),
        raw=gateway_data(payment),
    )


def checkout_url(payment: Mapping[str, Any]) -> str | None:
    """``_links.checkout.href``: where the payer's browser completes the payment."""
    links = payment.get("_links")
    checkout = links.get("checkout") if isinstance(links, Mapping) else None
    href = checkout.get("href") if isinstance(checkout, Mapping) else None
    return href if isinstance(href, str) and href else None


def _checkout(payment: Mapping[str, Any]) -> NextAction | None:
    url = checkout_url(payment)
    if url is None:
        return None
    return NextAction(kind="redirect", url=url, expires_at=parse_time(payment.get("expiresAt")))


def gateway_data(payment: Mapping[str, Any]) -> dict[str, object]:
    """The payment fields worth keeping on our attempt (identifiers, not card data)."""
    data: dict[str, object] = {
        "id": payment.get("id"),
        "status": payment.get("status"),
        "mode": payment.get("mode"),
        "method": payment.get("method"),
        "sequenceType": payment.get("sequenceType"),
        "customerId": payment.get("customerId"),
        "mandateId": payment.get("mandateId"),
        "amountRemaining": payment.get("amountRemaining"),
        "amountChargedBack": payment.get("amountChargedBack"),
    }
    return {key: value for key, value in data.items() if value is not None}


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 timestamp from Mollie (always with an offset) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
