"""The states and kinds stored in status and kind columns, as enums.

Columns hold the enum's value as text (``billing.models.types.EnumText``), so the database needs
no enum types and a new member needs no migration; the application reads and writes members.
"""

from __future__ import annotations

from enum import StrEnum


class InvoiceStatus(StrEnum):
    """Lifecycle status. ``overdue`` is never stored: it is derived (issued or sent, past due,
    with a balance)."""

    DRAFT = "draft"
    ISSUED = "issued"
    SENT = "sent"
    PAID = "paid"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


class TransactionStatus(StrEnum):
    """Unified status of a payment attempt."""

    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class Method(StrEnum):
    """Ways money reaches the operator."""

    CASH = "cash"
    BANK = "bank"
    CARD = "card"
    WALLET = "wallet"
    MPESA = "mpesa"
    PESAPAL = "pesapal"
    STRIPE = "stripe"
    MOLLIE = "mollie"
    CASH_ON_DELIVERY = "cash_on_delivery"
    OTHER = "other"


class RefundStatus(StrEnum):
    """A refund in the ledger is always done; a provider's pending one is not in the ledger."""

    SUCCEEDED = "succeeded"
    PENDING = "pending"


class WalletEntryKind(StrEnum):
    """Why a tenant's wallet moved."""

    CREDIT = "credit"
    INVOICE_PAYMENT = "invoice_payment"
    REFUND = "refund"
    REFUND_CREDIT = "refund_credit"
    CREDIT_NOTE = "credit_note"
    SUBSCRIPTION_CREDIT = "subscription_credit"
    """Owed to the tenant without money received: the unused days of a subscription."""


class CashStatus(StrEnum):
    """Cash handed over at the counter."""

    COMPLETED = "completed"


class CodStatus(StrEnum):
    """States of a cash-on-delivery payment."""

    PENDING = "pending"
    COLLECTED = "collected"
    VERIFIED = "verified"
    LOCKED = "locked"
    EXPIRED = "expired"


class PaymentMethodStatus(StrEnum):
    """Lifecycle of a saved method.

    ``setup_pending`` -> ``active`` (or ``pending`` while a mandate is not usable yet, then
    ``active``); ``setup_pending`` -> ``failed``; ``active``/``pending`` -> ``inactive`` when the
    tenant removes it or the provider detaches or revokes it. Only ``active`` methods are charged.
    """

    SETUP_PENDING = "setup_pending"
    PENDING = "pending"
    ACTIVE = "active"
    FAILED = "failed"
    INACTIVE = "inactive"


class TenantStatus(StrEnum):
    """Lifecycle of a tenant account."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"
