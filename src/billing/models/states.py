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


class DeliveryChannel(StrEnum):
    """How an outbox message leaves the service."""

    EMAIL = "email"
    WHATSAPP = "whatsapp"
    WEBHOOK = "webhook"


class DeliveryKind(StrEnum):
    """What an outbox message is about (decides how the job builds it)."""

    INVOICE = "invoice"
    """An invoice with its documents (e-mail: PDF and e-invoice; WhatsApp: the PDF)."""
    COMBINED = "combined"
    """One PDF of a tenant's pending invoices, rendered when sent (WhatsApp)."""
    REMINDER = "reminder"
    """A payment reminder of one step of the operator's schedule."""
    PAYMENT_LINK = "payment_link"
    """Seed 004: the customer hears of a new payment-link invoice."""
    EVENT = "event"
    """A signed event to one of the operator's webhook endpoints."""


class DeliveryStatus(StrEnum):
    """Lifecycle of an outbox message: ``pending`` until an attempt succeeds (``delivered``)
    or retries run out or the failure cannot heal (``failed``); a manual retry makes a failed
    one ``pending`` again."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    """No longer wanted when its turn came (a reminder of an invoice paid meanwhile)."""


class AttemptOutcome(StrEnum):
    """The result of one delivery attempt."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


class EventType(StrEnum):
    """Events the SaaS hears about through its webhook endpoints."""

    INVOICE_CREATED = "invoice.created"
    INVOICE_ISSUED = "invoice.issued"
    INVOICE_SENT = "invoice.sent"
    INVOICE_PAID = "invoice.paid"
    INVOICE_OVERDUE = "invoice.overdue"
    INVOICE_CANCELLED = "invoice.cancelled"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_REFUNDED = "payment.refunded"
    CREDIT_NOTE_CREATED = "credit_note.created"
    SUBSCRIPTION_CREATED = "subscription.created"
    SUBSCRIPTION_RENEWED = "subscription.renewed"
    SUBSCRIPTION_PAST_DUE = "subscription.past_due"
    SUBSCRIPTION_ACTIVE = "subscription.active"
    SUBSCRIPTION_PAUSED = "subscription.paused"
    SUBSCRIPTION_RESUMED = "subscription.resumed"
    SUBSCRIPTION_CANCELLED = "subscription.cancelled"
