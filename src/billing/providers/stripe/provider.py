"""The Stripe plugin: PaymentIntents, SetupIntents, refunds and signed webhooks over HTTP."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from billing.providers.base import (
    Amount,
    CallbackEvent,
    CallbackKind,
    CallbackVerificationError,
    Capability,
    NextAction,
    PaymentProvider,
    PaymentRequest,
    PaymentResult,
    PaymentStatus,
    ProviderError,
    ProviderKey,
    RefundRequest,
    RefundResult,
    SavedMethod,
    SetupRequest,
    SetupResult,
)
from billing.providers.stripe.amounts import (
    SUPPORTED_CURRENCIES,
    from_stripe_amount,
    to_stripe_amount,
)
from billing.providers.stripe.client import StripeAPIError, StripeClient
from billing.providers.stripe.config import StripeConfig
from billing.providers.stripe.mapping import (
    EVENT_KINDS,
    payment_result,
    payment_status,
    recovery_action,
    refund_status,
    setup_status,
    timestamp,
)
from billing.providers.stripe.signature import DEFAULT_TOLERANCE_S, verify_signature

# Refund reasons Stripe knows; anything else travels in metadata.
_REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
_MAX_DESCRIPTION = 1000


class StripeProvider(PaymentProvider):
    """Stripe through its REST API (never the SDK), with the operator's keys.

    Saved methods are PaymentMethods (``pm_...``) attached to a Customer (``cus_...``) by a
    SetupIntent that the browser confirms with Stripe.js; off-session charges confirm a
    PaymentIntent server-side. ``config`` defaults to the ``BILLING_STRIPE_*`` environment;
    without keys every API call raises ``ProviderError(provider_not_configured)`` before
    sending anything. ``clock`` returns unix seconds and exists for signature tests.
    """

    key: ClassVar[ProviderKey] = ProviderKey.STRIPE
    display_name: ClassVar[str] = "Stripe"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.CHARGE,
            Capability.SAVE_METHOD,
            Capability.CHARGE_SAVED,
            Capability.REFUND,
            Capability.PARTIAL_REFUND,
            Capability.STATUS_QUERY,
        }
    )
    currencies: ClassVar[frozenset[str]] = SUPPORTED_CURRENCIES
    method_types: ClassVar[tuple[str, ...]] = ("card", "sepa_debit")

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        config: StripeConfig | None = None,
        clock: Callable[[], float] = time.time,
        tolerance_s: int = DEFAULT_TOLERANCE_S,
    ) -> None:
        super().__init__(http=http)
        self.config = config if config is not None else StripeConfig()
        self._client = StripeClient(self.config, http)
        self._clock = clock
        self._tolerance_s = tolerance_s

    # -- payments -------------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        """True when the deployment holds this plugin's credentials."""
        return self.config.configured

    async def create_payment(self, request: PaymentRequest) -> PaymentResult:
        """Create a PaymentIntent; with ``saved_method_ref`` confirm it off-session at once.

        The ``Idempotency-Key`` is derived from ``attempt_id``: repeating the call for the same
        attempt replays Stripe's first answer. A decline or a bank asking for authentication
        (HTTP 402) is a ``failed`` result whose ``next_action`` carries the PaymentIntent's
        client secret, so the payer can be brought back on-session to authenticate or pick
        another card. Without a saved method the result is pending with that client secret.

        Raises:
            ProviderError: ``currency_not_supported`` / ``amount_precision_not_supported``
                (before any request), ``customer_required``, or Stripe's own code
                (``idempotency_error`` when the attempt id is reused with other parameters).
            ProviderUnavailableError: the outcome is unknown; retry with the same attempt id.
        """
        units = to_stripe_amount(request.amount)
        customer_id = request.customer.provider_customer_id
        params: dict[str, Any] = {
            "amount": units,
            "currency": request.amount.currency.lower(),
            "description": request.description[:_MAX_DESCRIPTION],
            "metadata": {
                **request.metadata,
                "attempt_id": request.attempt_id,
                "reference": request.reference,
                "tenant_id": request.customer.tenant_id,
            },
        }
        if request.saved_method_ref:
            if not customer_id:
                raise ProviderError(
                    self.key, "customer_required", "a saved method is charged for its customer"
                )
            params.update(
                customer=customer_id,
                payment_method=request.saved_method_ref,
                off_session=True,
                confirm=True,
            )
        else:
            params["customer"] = customer_id
            params["automatic_payment_methods"] = {"enabled": True}
        try:
            intent = await self._client.post(
                "/v1/payment_intents",
                params,
                idempotency_key=f"{request.attempt_id}:payment_intent",
            )
        except StripeAPIError as exc:
            if exc.status_code == 402 and exc.payment_intent is not None:
                return _declined(exc, exc.payment_intent)
            raise
        return payment_result(intent)

    async def get_payment(self, provider_ref: str) -> PaymentResult:
        """Fetch a PaymentIntent with its latest charge (for refunded amounts and receipt)."""
        intent = await self._client.get(
            f"/v1/payment_intents/{_segment(provider_ref)}", {"expand[]": "latest_charge"}
        )
        return payment_result(intent)

    async def refund(self, request: RefundRequest) -> RefundResult:
        """Refund ``amount`` of a PaymentIntent; the key is derived from ``refund_id``.

        Raises:
            ProviderError: ``currency_not_supported`` before any request, or Stripe's code
                (``amount_too_large``, ``charge_already_refunded``...).
        """
        units = to_stripe_amount(request.amount)
        metadata = {"refund_id": request.refund_id}
        params: dict[str, Any] = {
            "payment_intent": request.payment_ref,
            "amount": units,
            "metadata": metadata,
        }
        if request.reason in _REFUND_REASONS:
            params["reason"] = request.reason
        elif request.reason:
            metadata["reason"] = request.reason[:500]
        refund = await self._client.post(
            "/v1/refunds", params, idempotency_key=f"{request.refund_id}:refund"
        )
        raw = str(refund.get("status", ""))
        return RefundResult(
            provider_ref=str(refund.get("id", "")), status=refund_status(raw), raw_status=raw
        )

    # -- saved methods ----------------------------------------------------------------------

    async def create_setup(self, request: SetupRequest) -> SetupResult:
        """Create the Customer on first use, then an off-session SetupIntent.

        The frontend mounts the Payment Element with the returned client secret and calls
        ``stripe.confirmSetup``; then the service calls :meth:`confirm_setup`.
        """
        if request.method_type not in self.method_types:
            raise ProviderError(
                self.key,
                "method_type_not_supported",
                f"Stripe cannot save {request.method_type!r} methods here",
            )
        customer_id = request.customer.provider_customer_id
        if not customer_id:
            customer = await self._client.post(
                "/v1/customers",
                {
                    "name": request.customer.name,
                    "email": request.customer.email,
                    "phone": request.customer.phone,
                    "metadata": {"tenant_id": request.customer.tenant_id},
                },
                idempotency_key=f"{request.attempt_id}:customer",
            )
            customer_id = str(customer["id"])
        intent = await self._client.post(
            "/v1/setup_intents",
            {
                "customer": customer_id,
                "payment_method_types": [request.method_type],
                "usage": "off_session",
                "metadata": {
                    "attempt_id": request.attempt_id,
                    "tenant_id": request.customer.tenant_id,
                },
            },
            idempotency_key=f"{request.attempt_id}:setup_intent",
        )
        secret = intent.get("client_secret")
        if not isinstance(secret, str):
            raise ProviderError(self.key, "invalid_response", "SetupIntent has no client secret")
        return SetupResult(
            provider_ref=str(intent["id"]),
            provider_customer_id=customer_id,
            next_action=NextAction(kind="use_client_secret", client_secret=secret),
        )

    async def confirm_setup(
        self, provider_customer_id: str, confirmation: Mapping[str, str]
    ) -> SavedMethod:
        """Read the SetupIntent back (the browser's word is only a hint) and its PaymentMethod.

        ``confirmation`` holds ``setup_intent_id`` (or Stripe's return-URL parameter
        ``setup_intent``). A ``processing`` SetupIntent (SEPA) gives a ``pending`` method.

        Raises:
            ProviderError: ``confirmation_invalid``, ``setup_customer_mismatch`` (the intent
                belongs to another customer), ``setup_failed`` or ``setup_incomplete``.
        """
        setup_id = confirmation.get("setup_intent_id") or confirmation.get("setup_intent")
        if not setup_id:
            raise ProviderError(self.key, "confirmation_invalid", "setup_intent_id is required")
        intent = await self._client.get(f"/v1/setup_intents/{_segment(setup_id)}")
        if _ref(intent.get("customer")) != provider_customer_id:
            raise ProviderError(
                self.key, "setup_customer_mismatch", "the SetupIntent belongs to another customer"
            )
        status = setup_status(intent)
        raw = intent.get("status")
        if status == "invalid":
            error = intent.get("last_setup_error")
            message = error.get("message") if isinstance(error, Mapping) else None
            raise ProviderError(self.key, "setup_failed", str(message or f"SetupIntent is {raw}"))
        method_id = _ref(intent.get("payment_method"))
        if method_id is None or (status == "pending" and raw != "processing"):
            raise ProviderError(self.key, "setup_incomplete", f"SetupIntent is {raw}")
        method = await self._client.get(f"/v1/payment_methods/{_segment(method_id)}")
        return _saved_method(method, provider_customer_id, status)

    async def detach_method(self, provider_customer_id: str, method_ref: str) -> None:
        """Detach a PaymentMethod from the customer; detaching twice is not an error.

        Raises:
            ProviderError: ``method_not_owned`` when it is attached to another customer.
        """
        path = f"/v1/payment_methods/{_segment(method_ref)}"
        method = await self._client.get(path)
        owner = _ref(method.get("customer"))
        if owner is None:
            return
        if owner != provider_customer_id:
            raise ProviderError(
                self.key, "method_not_owned", "the payment method belongs to another customer"
            )
        await self._client.post(f"{path}/detach")

    # -- webhooks and frontend --------------------------------------------------------------

    async def parse_callback(
        self,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
    ) -> CallbackEvent:
        """Verify ``Stripe-Signature`` over the raw body first, then read the event.

        ``dedupe_key`` is the event id. ``kind`` is ``payment``, ``setup``, ``refund``,
        ``method_detached``, ``dispute`` or ``ignored``; ``provider_ref`` is the PaymentIntent
        for payment, refund and dispute events (what our attempts are keyed by), the SetupIntent
        for setup events and the PaymentMethod for detachments.

        Raises:
            CallbackVerificationError: ``header_missing``, ``header_malformed``,
                ``signature_invalid``, ``timestamp_outside_tolerance``, ``no_secret`` or
                ``body_malformed``.
        """
        verify_signature(
            body,
            _header(headers, "stripe-signature"),
            self.config.webhook_secret_values(),
            now=self._clock(),
            tolerance_s=self._tolerance_s,
        )
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise CallbackVerificationError(
                self.key, "body_malformed", "the event is not JSON"
            ) from None
        if not isinstance(event, dict) or event.get("object") != "event":
            raise CallbackVerificationError(self.key, "body_malformed", "not a Stripe event")
        event_id = event.get("id")
        event_type = event.get("type")
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(event_id, str) or not isinstance(event_type, str):
            raise CallbackVerificationError(self.key, "body_malformed", "event without id/type")
        if not isinstance(obj, dict):
            raise CallbackVerificationError(self.key, "body_malformed", "event without object")
        return _callback_event(event_id, event_type, event, obj)

    def public_config(self) -> Mapping[str, str]:
        """The publishable key for Stripe.js (empty when not configured); never a secret."""
        if not self.config.publishable_key:
            return {}
        return {"publishable_key": self.config.publishable_key}


def _declined(error: StripeAPIError, intent: Mapping[str, Any]) -> PaymentResult:
    """A 402 on an off-session confirm: the attempt failed; the intent can still be recovered."""
    base = payment_result(intent)
    raw = dict(base.raw)
    raw.update(error_code=error.code, error_type=error.error_type)
    if error.decline_code:
        raw["decline_code"] = error.decline_code
    return dataclasses.replace(
        base,
        status=PaymentStatus.FAILED,
        failure_code=error.code,
        failure_message=error.stripe_message,
        next_action=recovery_action(intent),
        raw=raw,
    )


def _saved_method(method: Mapping[str, Any], customer_id: str, status: str) -> SavedMethod:
    method_type = str(method.get("type", ""))
    details = method.get(method_type)
    details = details if isinstance(details, Mapping) else {}
    last4 = details.get("last4")
    return SavedMethod(
        provider_ref=str(method["id"]),
        provider_customer_id=customer_id,
        method_type=method_type,
        status="valid" if status == "valid" else "pending",
        brand=_opt_str(details.get("brand")),
        last4=str(last4)[-4:] if last4 else None,
        exp_month=_opt_int(details.get("exp_month")),
        exp_year=_opt_int(details.get("exp_year")),
    )


def _callback_event(
    event_id: str, event_type: str, event: Mapping[str, Any], obj: Mapping[str, Any]
) -> CallbackEvent:
    kind = EVENT_KINDS.get(event_type, CallbackKind.IGNORED)
    object_id = str(obj.get("id", ""))
    provider_ref = object_id
    reported_status: PaymentStatus | None = None
    reported_amount: Amount | None = None
    currency = obj.get("currency")
    if kind is CallbackKind.PAYMENT and obj.get("object") == "payment_intent":
        reported_status = payment_status(obj)
        amount = obj.get("amount")
        if isinstance(amount, int) and isinstance(currency, str):
            reported_amount = from_stripe_amount(amount, currency)
    elif kind in (CallbackKind.REFUND, CallbackKind.DISPUTE):
        provider_ref = _ref(obj.get("payment_intent")) or _ref(obj.get("charge")) or object_id
        refunded = obj.get("amount_refunded", obj.get("amount"))
        if isinstance(refunded, int) and isinstance(currency, str):
            reported_amount = from_stripe_amount(refunded, currency)
        if obj.get("object") == "charge" and obj.get("refunded") is True:
            reported_status = PaymentStatus.REFUNDED
    data: dict[str, object] = {
        "type": event_type,
        "object": obj.get("object"),
        "object_id": object_id,
        "livemode": event.get("livemode"),
        "customer": _ref(obj.get("customer")),
        "payment_method": _ref(obj.get("payment_method")),
        "account": event.get("account"),
    }
    return CallbackEvent(
        dedupe_key=event_id,
        kind=kind,
        provider_ref=provider_ref,
        reported_status=reported_status,
        reported_amount=reported_amount,
        occurred_at=timestamp(event.get("created")),
        data={key: value for key, value in data.items() if value is not None},
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Frameworks hand us case-insensitive mappings, tests and jobs plain dicts.
    value = headers.get(name)
    if value is not None:
        return value
    for key, item in headers.items():
        if key.lower() == name:
            return item
    return None


def _segment(value: str) -> str:
    """A path segment from an id we were given; never lets it change the path."""
    if not value:
        raise ProviderError(ProviderKey.STRIPE, "invalid_reference", "empty identifier")
    return quote(value, safe="")


def _ref(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
