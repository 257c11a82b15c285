"""Stripe's raw objects and statuses mapped to the unified model (providers.md section 1)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from billing.providers.base import (
    CallbackKind,
    NextAction,
    PaymentResult,
    PaymentStatus,
    RefundStatus,
)
from billing.providers.stripe.amounts import from_stripe_amount

_PAYMENT_STATUSES: Mapping[str, PaymentStatus] = {
    "requires_payment_method": PaymentStatus.PENDING,  # FAILED when last_payment_error is set
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.PENDING,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.PROCESSING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELLED,
}

_REFUND_STATUSES: Mapping[str, RefundStatus] = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELLED,
}

# Stripe event type -> CallbackEvent.kind. Types not listed are reported as "ignored".
EVENT_KINDS: Mapping[str, CallbackKind] = {
    "payment_intent.succeeded": CallbackKind.PAYMENT,
    "payment_intent.payment_failed": CallbackKind.PAYMENT,
    "payment_intent.processing": CallbackKind.PAYMENT,
    "payment_intent.requires_action": CallbackKind.PAYMENT,
    "payment_intent.canceled": CallbackKind.PAYMENT,
    "setup_intent.succeeded": CallbackKind.SETUP,
    "setup_intent.setup_failed": CallbackKind.SETUP,
    "setup_intent.requires_action": CallbackKind.SETUP,
    "setup_intent.canceled": CallbackKind.SETUP,
    "charge.refunded": CallbackKind.REFUND,
    "charge.refund.updated": CallbackKind.REFUND,
    "refund.created": CallbackKind.REFUND,
    "refund.updated": CallbackKind.REFUND,
    "refund.failed": CallbackKind.REFUND,
    "payment_method.detached": CallbackKind.METHOD_DETACHED,
    "charge.dispute.created": CallbackKind.DISPUTE,
}

# Statuses in which the payer can still finish the PaymentIntent in the browser.
_RECOVERABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})


def payment_status(intent: Mapping[str, Any]) -> PaymentStatus:
    """Unified status of a PaymentIntent.

    ``requires_payment_method`` means "fresh" until an attempt has failed: Stripe then moves the
    intent back there and sets ``last_payment_error``, which is a failure for us.
    """
    raw = str(intent.get("status", ""))
    if raw == "requires_payment_method" and intent.get("last_payment_error"):
        return PaymentStatus.FAILED
    status = _PAYMENT_STATUSES.get(raw, PaymentStatus.PENDING)
    if status is PaymentStatus.SUCCEEDED:
        charge = intent.get("latest_charge")
        amount = intent.get("amount_received") or intent.get("amount")
        if isinstance(charge, Mapping) and isinstance(amount, int) and amount > 0:
            refunded = charge.get("amount_refunded")
            if isinstance(refunded, int) and refunded >= amount:
                return PaymentStatus.REFUNDED
    return status


def refund_status(raw: str) -> RefundStatus:
    """Unified status of a Stripe refund (unknown values stay pending until fetched again)."""
    return _REFUND_STATUSES.get(raw, RefundStatus.PENDING)


def setup_status(setup_intent: Mapping[str, Any]) -> Literal["valid", "pending", "invalid"]:
    """Saved-method status of a SetupIntent: succeeded is valid, a failure or cancel invalid."""
    raw = setup_intent.get("status")
    if raw == "succeeded":
        return "valid"
    if raw == "canceled" or setup_intent.get("last_setup_error"):
        return "invalid"
    return "pending"


def recovery_action(intent: Mapping[str, Any]) -> NextAction | None:
    """What the payer's browser must do to finish ``intent``, if anything.

    A redirect when Stripe names one, otherwise the client secret for ``stripe.confirmPayment``
    (used to recover an off-session charge that needs authentication or a new card).
    """
    if intent.get("status") not in _RECOVERABLE:
        return None
    next_action = intent.get("next_action")
    if isinstance(next_action, Mapping):
        redirect = next_action.get("redirect_to_url")
        if isinstance(redirect, Mapping) and isinstance(redirect.get("url"), str):
            return NextAction(
                kind="redirect",
                url=redirect["url"],
                client_secret=_opt_str(intent.get("client_secret")),
            )
    secret = _opt_str(intent.get("client_secret"))
    if secret is None:
        return None
    return NextAction(kind="use_client_secret", client_secret=secret)


def payment_result(intent: Mapping[str, Any]) -> PaymentResult:
    """A ``PaymentResult`` from a PaymentIntent (``latest_charge`` expanded or not)."""
    status = payment_status(intent)
    currency = str(intent.get("currency", ""))
    amount = intent.get("amount")
    charge = intent.get("latest_charge")
    charge_obj = charge if isinstance(charge, Mapping) else None
    charge_id = charge_obj.get("id") if charge_obj else charge
    refunded = charge_obj.get("amount_refunded") if charge_obj else None
    error = intent.get("last_payment_error")
    error_obj = error if isinstance(error, Mapping) else {}
    failed = status is PaymentStatus.FAILED
    paid_at = None
    if charge_obj and status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        paid_at = timestamp(charge_obj.get("created"))
    return PaymentResult(
        provider_ref=str(intent.get("id", "")),
        status=status,
        raw_status=str(intent.get("status", "")),
        amount=from_stripe_amount(amount, currency) if isinstance(amount, int) else None,
        next_action=recovery_action(intent),
        failure_code=_opt_str(error_obj.get("code")) if failed else None,
        failure_message=_opt_str(error_obj.get("message")) if failed else None,
        provider_receipt=_opt_str(charge_id),
        paid_at=paid_at,
        refunded_amount=(
            from_stripe_amount(refunded, currency) if isinstance(refunded, int) else None
        ),
        raw=gateway_data(intent),
    )


def gateway_data(intent: Mapping[str, Any]) -> dict[str, object]:
    """The PaymentIntent fields worth keeping on our attempt; never the client secret."""
    error = intent.get("last_payment_error")
    error_obj = error if isinstance(error, Mapping) else {}
    charge = intent.get("latest_charge")
    data: dict[str, object] = {
        "id": intent.get("id"),
        "status": intent.get("status"),
        "amount": intent.get("amount"),
        "currency": intent.get("currency"),
        "customer": intent.get("customer"),
        "payment_method": _ref(intent.get("payment_method")),
        "latest_charge": _ref(charge),
        "livemode": intent.get("livemode"),
    }
    if error_obj:
        data["error_code"] = error_obj.get("code")
        data["decline_code"] = error_obj.get("decline_code")
        data["error_type"] = error_obj.get("type")
    return {key: value for key, value in data.items() if value is not None}


def timestamp(value: object) -> datetime | None:
    """A Stripe unix timestamp as an aware UTC datetime."""
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _ref(value: object) -> str | None:
    if isinstance(value, Mapping):
        return _opt_str(value.get("id"))
    return _opt_str(value)


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
