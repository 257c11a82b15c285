"""The payment provider contract.

A provider plugin turns provider-neutral requests into one provider's HTTP protocol and the
provider's answers back into provider-neutral results. Plugins import neither FastAPI nor the ORM:
they take and return the frozen data types below, and the payments domain decides what a result
means for the ledger.

Rules every plugin follows:

* **Stateless.** One instance is built per use from the deployment configuration and the shared
  ``httpx.AsyncClient``; it keeps nothing between calls but caches that are safe to lose (an
  OAuth token).
* **Truth is fetched, never received.** ``parse_callback`` only extracts identifiers and hints from
  a delivery; the caller confirms with ``get_payment`` before it changes any state, except where
  the provider signs its deliveries (Stripe), which ``parse_callback`` verifies first.
* **Idempotent where the provider lets us be.** ``idempotency_key`` is derived from our own attempt
  id; a plugin passes it on where the protocol has one (Stripe, Mollie) or uses it as the merchant
  reference (Pesapal). A plugin never retries a call that could charge twice (an STK push).
* **Errors are typed.** Transport failures and provider 5xx raise ``ProviderUnavailableError``;
  a refusal of the request (4xx, bad credentials, unsupported currency) raises ``ProviderError``
  with the provider's own code; a declined charge is *not* an exception but a ``PaymentResult``
  with status ``failed`` and a ``failure`` reason. Messages never contain credentials.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Literal

import httpx


class ProviderKey(StrEnum):
    """Slugs of the provider plugins (the closed registry's keys)."""

    STRIPE = "stripe"
    MOLLIE = "mollie"
    MPESA = "mpesa"
    PESAPAL = "pesapal"


class PaymentStatus(StrEnum):
    """Unified status of a payment attempt (see providers.md section 1)."""

    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class RefundStatus(StrEnum):
    """Unified status of a refund request."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Capability(StrEnum):
    """What a provider can do; the API and the catalogue read these instead of the slug."""

    CHARGE = "charge"  # customer-present payment (redirect, STK prompt, card form)
    SAVE_METHOD = "save_method"  # set up a reusable method (Stripe SetupIntent, Mollie mandate)
    CHARGE_SAVED = "charge_saved"  # merchant-initiated charge of a saved method
    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"
    STATUS_QUERY = "status_query"


@dataclass(frozen=True, slots=True)
class Amount:
    """An exact amount in an ISO 4217 currency, already rounded to its minor unit."""

    value: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class CustomerRef:
    """Who pays: our tenant, and the provider's customer id once one exists."""

    tenant_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    provider_customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """A charge of one invoice (or one amount) through a provider."""

    attempt_id: str  # our payment attempt id; source of idempotency keys and references
    reference: str  # short human reference shown to the payer (invoice number)
    amount: Amount
    description: str
    customer: CustomerRef
    callback_url: str | None = None  # where the provider notifies us
    return_url: str | None = None  # where the payer's browser goes back to
    saved_method_ref: str | None = None  # for CHARGE_SAVED: pm_..., mdt_...
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NextAction:
    """What the payer must still do for a pending attempt."""

    kind: Literal["redirect", "await_customer", "use_client_secret"]
    url: str | None = None
    client_secret: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """The provider's view of one payment, mapped to the unified status."""

    provider_ref: str  # pi_..., tr_..., CheckoutRequestID, OrderTrackingId
    status: PaymentStatus
    raw_status: str
    amount: Amount | None = None  # as reported by the provider, for cross-checks
    next_action: NextAction | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    provider_receipt: str | None = (
        None  # M-Pesa receipt, Stripe charge id, Pesapal confirmation code
    )
    paid_at: datetime | None = None
    refunded_amount: Amount | None = None
    raw: Mapping[str, object] = field(default_factory=dict)  # gateway data, never secrets


@dataclass(frozen=True, slots=True)
class SetupRequest:
    """Start saving a reusable payment method for a customer."""

    attempt_id: str
    customer: CustomerRef
    method_type: str  # "card", "sepa_debit", "ideal", "creditcard", "directdebit" ...
    return_url: str | None = None
    callback_url: str | None = None
    currency: str = "EUR"


@dataclass(frozen=True, slots=True)
class SetupResult:
    """The first step of saving a method: what the frontend must do next."""

    provider_ref: str  # seti_..., tr_... (Mollie first payment)
    provider_customer_id: str
    next_action: NextAction


@dataclass(frozen=True, slots=True)
class SavedMethod:
    """A reusable method as the provider confirms it; never a full card number or IBAN."""

    provider_ref: str  # pm_..., mdt_...
    provider_customer_id: str
    method_type: str
    status: Literal["valid", "pending", "invalid"]
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """Give money back on a succeeded payment."""

    refund_id: str  # our refund row id; source of the idempotency key
    payment_ref: str  # provider_ref of the payment
    amount: Amount
    reason: str | None = None
    provider_receipt: str | None = None  # M-Pesa reversal needs the receipt (TransactionID)


@dataclass(frozen=True, slots=True)
class RefundResult:
    """The provider's answer to a refund."""

    provider_ref: str
    status: RefundStatus
    raw_status: str


class CallbackKind(StrEnum):
    """What a provider delivery is about (it decides which truth settlement fetches)."""

    PAYMENT = "payment"
    REFUND = "refund"
    DISPUTE = "dispute"
    SETUP = "setup"
    METHOD_DETACHED = "method_detached"
    RECURRING = "recurring"
    C2B_VALIDATION = "c2b_validation"
    C2B_CONFIRMATION = "c2b_confirmation"
    TRANSACTION_STATUS = "transaction_status"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    """What a verified delivery is about. Identifiers and hints only: fetch before acting.

    ``dedupe_key`` is unique per delivery *content* (Stripe event id, M-Pesa CheckoutRequestID,
    Pesapal OrderTrackingId + notification type); the inbox stores each key once.
    """

    dedupe_key: str
    kind: CallbackKind
    provider_ref: str
    reported_status: PaymentStatus | None = None
    reported_amount: Amount | None = None
    occurred_at: datetime | None = None
    data: Mapping[str, object] = field(default_factory=dict)


class ProviderError(Exception):
    """The provider refused the request. ``code`` is the provider's own error code."""

    def __init__(self, provider: ProviderKey, code: str, message: str) -> None:
        super().__init__(f"{provider.value}: {code}: {message}")
        self.provider = provider
        self.code = code
        self.message = message


class ProviderUnavailableError(ProviderError):
    """Transport failure, timeout or provider 5xx: the outcome may be unknown."""

    def __init__(
        self,
        provider: ProviderKey,
        code: str,
        message: str,
        *,
        timeout: bool = False,
    ) -> None:
        super().__init__(provider, code, message)
        self.timeout = timeout


class UnsupportedOperationError(ProviderError):
    """The provider has no such capability (saving a method with M-Pesa, say)."""


class CallbackVerificationError(ProviderError):
    """A delivery failed verification (bad signature, stale timestamp, malformed body)."""


class PaymentProvider(ABC):
    """Base class of every provider plugin; the docstrings are the contract.

    Subclasses set ``key``, ``display_name``, ``capabilities``, ``currencies`` and
    ``method_types``, and implement the abstract methods. Optional capabilities have default
    implementations that raise ``UnsupportedOperationError``.
    """

    key: ClassVar[ProviderKey]
    display_name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    currencies: ClassVar[frozenset[str]]
    method_types: ClassVar[tuple[str, ...]]
    create_answer_settles: ClassVar[bool] = True
    """Whether ``create_payment``'s final status may be settled as is. False: fetch it back
    with ``get_payment`` first (Mollie's create answer is not its authoritative state)."""

    def __init__(self, *, http: httpx.AsyncClient) -> None:
        self.http = http

    def supports_currency(self, currency: str) -> bool:
        """True when the provider can charge in this currency; checked before any call."""
        return currency.upper() in self.currencies

    @property
    @abstractmethod
    def configured(self) -> bool:
        """True when the deployment holds the credentials this plugin needs."""

    @abstractmethod
    async def create_payment(self, request: PaymentRequest) -> PaymentResult:
        """Start a charge.

        Returns a pending result with a ``next_action`` (redirect URL, STK prompt on the phone,
        client secret) or, for a saved method charged off-session, the final result. A decline is
        a ``failed`` result with ``failure_code``/``failure_message``, not an exception.

        Raises:
            ProviderError: the provider refused the request.
            ProviderUnavailableError: the outcome is unknown; the caller keeps the attempt
                pending and lets the poller resolve it. Never retried here for non-idempotent
                calls.
        """

    @abstractmethod
    async def get_payment(self, provider_ref: str) -> PaymentResult:
        """Fetch the provider's current truth about a payment (the fetch-back).

        Raises:
            ProviderError / ProviderUnavailableError as for ``create_payment``.
        """

    @abstractmethod
    async def parse_callback(
        self,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
    ) -> CallbackEvent:
        """Verify what the provider lets us verify and extract identifiers from a delivery.

        Reads the raw body. Signed providers (Stripe) check the signature here.

        Raises:
            CallbackVerificationError: the delivery is forged, stale or malformed.
        """

    async def refund(self, request: RefundRequest) -> RefundResult:
        """Refund all or part of a succeeded payment.

        Raises:
            UnsupportedOperationError: the provider has no refund API.
        """
        raise UnsupportedOperationError(self.key, "unsupported", "refunds are not supported")

    async def create_setup(self, request: SetupRequest) -> SetupResult:
        """Start saving a reusable method (customer created at the provider on first use)."""
        raise UnsupportedOperationError(
            self.key, "provider_cannot_save_methods", "this provider cannot save methods"
        )

    async def confirm_setup(
        self, provider_customer_id: str, confirmation: Mapping[str, str]
    ) -> SavedMethod:
        """Check with the provider that a setup succeeded and return the saved method."""
        raise UnsupportedOperationError(
            self.key, "provider_cannot_save_methods", "this provider cannot save methods"
        )

    async def detach_method(self, provider_customer_id: str, method_ref: str) -> None:
        """Detach/revoke a saved method at the provider."""
        raise UnsupportedOperationError(
            self.key, "provider_cannot_save_methods", "this provider cannot save methods"
        )

    def public_config(self) -> Mapping[str, str]:
        """Frontend SDK configuration (a publishable key, say). Never a secret."""
        return {}
