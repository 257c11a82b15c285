"""ORM models; importing this package registers every table on ``Base.metadata``."""

from billing.models.api_key import ApiKey
from billing.models.base import Base, TenantScopedMixin, TimestampMixin
from billing.models.billing_profile import BillingProfile
from billing.models.catalog import Price, Product, TaxRate
from billing.models.clock import ServiceClock
from billing.models.credit_note import CreditNote, CreditNoteDocument, CreditNoteLine
from billing.models.delivery import (
    Delivery,
    DeliveryAttempt,
    InvoiceNotice,
    ObjectSequence,
    OutboundEvent,
    WebhookEndpoint,
)
from billing.models.document import StoredDocument
from billing.models.idempotency import IdempotencyRecord
from billing.models.invoice import (
    Invoice,
    InvoiceLine,
    InvoiceNumberCounter,
    InvoiceNumberRegistry,
)
from billing.models.ledger import (
    CashTransaction,
    CodPayment,
    PaymentTransaction,
    Refund,
    WalletEntry,
)
from billing.models.payment import Payment, PaymentAllocation
from billing.models.payment_link import PaymentAccount, PaymentLink
from billing.models.payment_method import PaymentMethod, ProviderCustomer
from billing.models.settings import OperatorSettingsRow
from billing.models.states import TenantStatus
from billing.models.subscription import (
    Subscription,
    SubscriptionCharge,
    SubscriptionInvoice,
    SubscriptionItem,
    SubscriptionSegment,
)
from billing.models.tenant import Reseller, Tenant
from billing.models.usage import BillableMetric, UsageEvent
from billing.models.webhook_event import WebhookEvent

__all__ = [
    "ApiKey",
    "Base",
    "BillableMetric",
    "BillingProfile",
    "CashTransaction",
    "CodPayment",
    "CreditNote",
    "CreditNoteDocument",
    "CreditNoteLine",
    "Delivery",
    "DeliveryAttempt",
    "IdempotencyRecord",
    "Invoice",
    "InvoiceLine",
    "InvoiceNotice",
    "InvoiceNumberCounter",
    "InvoiceNumberRegistry",
    "ObjectSequence",
    "OperatorSettingsRow",
    "OutboundEvent",
    "Payment",
    "PaymentAccount",
    "PaymentAllocation",
    "PaymentLink",
    "PaymentMethod",
    "PaymentTransaction",
    "Price",
    "Product",
    "ProviderCustomer",
    "Refund",
    "Reseller",
    "ServiceClock",
    "StoredDocument",
    "Subscription",
    "SubscriptionCharge",
    "SubscriptionInvoice",
    "SubscriptionItem",
    "SubscriptionSegment",
    "TaxRate",
    "Tenant",
    "TenantScopedMixin",
    "TenantStatus",
    "TimestampMixin",
    "UsageEvent",
    "WalletEntry",
    "WebhookEndpoint",
    "WebhookEvent",
]
