"""The Mollie plugin: payments, first-payment mandates, recurring charges, refunds."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote

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
    ProviderError,
    ProviderKey,
    RefundRequest,
    RefundResult,
    SavedMethod,
    SetupRequest,
    SetupResult,
)
from billing.providers.http import ProviderHTTPError
from billing.providers.mollie.amounts import (
    SUPPORTED_CURRENCIES,
    to_mollie_amount,
)
from billing.providers.mollie.client import MollieClient, idempotency_key
from billing.providers.mollie.config import MollieConfig
from billing.providers.mollie.mapping import (
    checkout_url,
    mandate_status,
    parse_time,
    payment_result,
    refund_status,
)

_MAX_DESCRIPTION = 255
_PAYMENT_ID = re.compile(r"tr_[A-Za-z0-9]{1,64}")
_EVENT_ID = re.compile(r"event_[A-Za-z0-9]{1,64}")
# Methods Mollie accepts for a first payment (one that creates a mandate).
_FIRST_PAYMENT_METHODS = frozenset(
    {
        "applepay",
        "bancontact",
        "belfius",
        "creditcard",
        "eps",
        "giropay",
        "ideal",
        "kbc",
        "mybank",
        "paypal",
        "sofort",
    }
)
# Neutral method names the service may use, mapped to Mollie's. ``None``: let the payer choose
# in Mollie's checkout among methods that yield a SEPA Direct Debit mandate.
_METHOD_ALIASES: Mapping[str, str | None] = {
    "card": "creditcard",
    "sepa_debit": None,
    "directdebit": None,
}


class MollieProvider(PaymentProvider):
    """Mollie's v2 API with the operator's API key.

    A saved method is a mandate (``mdt_...``) that a paid first payment (``sequenceType=first``)
    leaves on a Mollie customer (``cst_...``); charging it is a ``recurring`` payment. Classic
    webhooks are unsigned and carry only the payment id, so every state change is fetched.
    ``config`` defaults to the ``BILLING_MOLLIE_*`` environment; without an API key every API
    call raises ``ProviderError(provider_not_configured)`` before sending anything.
    """

    key: ClassVar[ProviderKey] = ProviderKey.MOLLIE
    display_name: ClassVar[str] = "Mollie"
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
    method_types: ClassVar[tuple[str, ...]] = ("creditcard", "directdebit", "paypal", "ideal")

    create_answer_settles = False

    def __init__(self, *, http: httpx.AsyncClient, config: MollieConfig | None = None) -> None:
        super().__init__(http=http)
        self.config = config if config is not None else MollieConfig()
        self._client = MollieClient(self.config, http)

    def _account_fields(self) -> dict[str, Any]:
        # Only organization access tokens need these; API keys imply profile and mode.
        if not self.config.api_key.get_secret_value().startswith("access_"):
            return {}
        fields: dict[str, Any] = {"testmode": self.config.testmode}
        if self.config.profile_id:
            fields["profileId"] = self.config.profile_id
        return fields

    # -- payments -------------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        """True when the deployment holds this plugin's credentials."""
        return self.config.configured

    async def create_payment(self, request: PaymentRequest) -> PaymentResult:
        """Create a payment: recurring on a mandate when ``saved_method_ref`` is set, else a
        one-off payment whose checkout URL is returned as a redirect.

        The ``Idempotency-Key`` is a UUID derived from ``attempt_id``. A recurring payment on
        a card mandate usually comes back ``paid``; on a SEPA mandate it stays ``pending``
        (processing) for days and may still fail.

        Raises:
            ProviderError: ``currency_not_supported`` / ``amount_precision_not_supported``
                (before any request), ``customer_required``, ``return_url_required``, or the
                status-derived code of Mollie's refusal (``unprocessable_entity``...).
            ProviderUnavailableError: the outcome is unknown; retry with the same attempt id
                within Mollie's one-hour idempotency window, or fetch the payment.
        """
        amount = to_mollie_amount(request.amount)
        customer_id = request.customer.provider_customer_id
        body: dict[str, Any] = {
            "amount": amount,
            "description": request.description[:_MAX_DESCRIPTION],
            "metadata": {
                **request.metadata,
                "attempt_id": request.attempt_id,
                "reference": request.reference,
                "tenant_id": request.customer.tenant_id,
            },
            **self._account_fields(),
        }
        if request.callback_url:
            body["webhookUrl"] = request.callback_url
        if request.saved_method_ref:
            if not customer_id:
                raise ProviderError(
                    self.key, "customer_required", "a mandate is charged for its customer"
                )
            body.update(
                sequenceType="recurring",
                customerId=customer_id,
                mandateId=request.saved_method_ref,
            )
        else:
            if not request.return_url:
                raise ProviderError(
                    self.key, "return_url_required", "a one-off payment needs a return URL"
                )
            body.update(sequenceType="oneoff", redirectUrl=request.return_url)
            if customer_id:
                body["customerId"] = customer_id
        payment = await self._client.request(
            "POST",
            "/v2/payments",
            body=body,
            idempotency_key=idempotency_key("payment", request.attempt_id),
        )
        return payment_result(payment)

    async def get_payment(self, provider_ref: str) -> PaymentResult:
        """Fetch a payment: the only source of truth for Mollie's unsigned webhooks."""
        payment = await self._client.request("GET", f"/v2/payments/{_segment(provider_ref)}")
        return payment_result(payment)

    async def refund(self, request: RefundRequest) -> RefundResult:
        """Refund ``amount`` of a paid payment; the key is derived from ``refund_id``.

        Raises:
            ProviderError: ``currency_not_supported`` before any request, or Mollie's refusal
                (``unprocessable_entity`` when the amount exceeds what remains).
        """
        amount = to_mollie_amount(request.amount)
        description = (request.reason or f"Refund {request.refund_id}")[:_MAX_DESCRIPTION]
        refund = await self._client.request(
            "POST",
            f"/v2/payments/{_segment(request.payment_ref)}/refunds",
            body={
                "amount": amount,
                "description": description,
                "metadata": {"refund_id": request.refund_id},
                **self._account_fields(),
            },
            idempotency_key=idempotency_key("refund", request.refund_id),
        )
        raw = str(refund.get("status", ""))
        return RefundResult(
            provider_ref=str(refund.get("id", "")), status=refund_status(raw), raw_status=raw
        )

    # -- saved methods ----------------------------------------------------------------------

    async def create_setup(self, request: SetupRequest) -> SetupResult:
        """Create the customer on first use, then a first payment of the verification amount.

        The browser is redirected to Mollie's checkout; Mollie sends it back to ``return_url``
        without saying what happened, so the service then calls :meth:`confirm_setup` with the
        payment id it got here.

        Raises:
            ProviderError: ``method_type_not_supported``, ``return_url_required``,
                ``currency_not_supported`` or Mollie's refusal.
        """
        method = _first_payment_method(request.method_type)
        if not request.return_url:
            raise ProviderError(
                self.key, "return_url_required", "a first payment needs a return URL"
            )
        amount = to_mollie_amount(Amount(self.config.verification_amount, request.currency))
        customer_id = request.customer.provider_customer_id
        if not customer_id:
            customer = await self._client.request(
                "POST",
                "/v2/customers",
                body={
                    "name": request.customer.name,
                    "email": request.customer.email,
                    "metadata": {"tenant_id": request.customer.tenant_id},
                    **self._account_fields(),
                },
                idempotency_key=idempotency_key("customer", request.attempt_id),
            )
            customer_id = str(customer["id"])
        body: dict[str, Any] = {
            "amount": amount,
            "customerId": customer_id,
            "sequenceType": "first",
            "description": f"Payment method verification for {request.customer.name}"[
                :_MAX_DESCRIPTION
            ],
            "redirectUrl": request.return_url,
            "metadata": {
                "purpose": "mandate",
                "attempt_id": request.attempt_id,
                "tenant_id": request.customer.tenant_id,
            },
            **self._account_fields(),
        }
        if method:
            body["method"] = method
        if request.callback_url:
            body["webhookUrl"] = request.callback_url
        payment = await self._client.request(
            "POST",
            "/v2/payments",
            body=body,
            idempotency_key=idempotency_key("setup", request.attempt_id),
        )
        url = checkout_url(payment)
        if url is None:
            raise ProviderError(self.key, "invalid_response", "first payment has no checkout URL")
        return SetupResult(
            provider_ref=str(payment["id"]),
            provider_customer_id=customer_id,
            next_action=NextAction(
                kind="redirect", url=url, expires_at=parse_time(payment.get("expiresAt"))
            ),
        )

    async def confirm_setup(
        self, provider_customer_id: str, confirmation: Mapping[str, str]
    ) -> SavedMethod:
        """Fetch the first payment and its mandate; only a ``valid`` mandate is usable.

        ``confirmation`` holds ``payment_id`` (the ``provider_ref`` of :meth:`create_setup`).
        A ``pending`` mandate (first payment not final yet, or IBAN not known yet) is returned
        with status ``pending``: do not charge it; confirm again later.

        Raises:
            ProviderError: ``confirmation_invalid``, ``setup_customer_mismatch``,
                ``setup_incomplete`` (payment still open), ``setup_failed`` (payment failed,
                cancelled or expired), ``mandate_not_ready`` (paid, mandate not there yet: some
                methods lag) or ``mandate_invalid``.
        """
        payment_id = confirmation.get("payment_id")
        if not payment_id:
            raise ProviderError(self.key, "confirmation_invalid", "payment_id is required")
        payment = await self._client.request("GET", f"/v2/payments/{_segment(payment_id)}")
        if payment.get("customerId") != provider_customer_id:
            raise ProviderError(
                self.key, "setup_customer_mismatch", "the payment belongs to another customer"
            )
        status = payment.get("status")
        mandate_id = payment.get("mandateId")
        if status in ("failed", "canceled", "expired"):
            raise ProviderError(self.key, "setup_failed", f"the first payment is {status}")
        if not isinstance(mandate_id, str) or not mandate_id:
            code = "mandate_not_ready" if status == "paid" else "setup_incomplete"
            raise ProviderError(self.key, code, f"the first payment is {status}, no mandate yet")
        mandate = await self._client.request(
            "GET",
            f"/v2/customers/{_segment(provider_customer_id)}/mandates/{_segment(mandate_id)}",
        )
        mandate_state = mandate_status(mandate.get("status"))
        if mandate_state == "invalid":
            raise ProviderError(self.key, "mandate_invalid", "the mandate is invalid")
        # A mandate may be valid before its first payment is final; only a paid one counts.
        if status != "paid":
            mandate_state = "pending"
        return _saved_method(mandate, provider_customer_id, mandate_state)

    async def detach_method(self, provider_customer_id: str, method_ref: str) -> None:
        """Revoke the mandate; revoking one Mollie already reports gone is not an error."""
        try:
            await self._client.request(
                "DELETE",
                f"/v2/customers/{_segment(provider_customer_id)}/mandates/{_segment(method_ref)}",
            )
        except ProviderHTTPError as exc:
            if exc.status_code != 410:
                raise

    # -- webhooks -----------------------------------------------------------------------------

    async def parse_callback(
        self,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
    ) -> CallbackEvent:
        """Read the payment id of a classic webhook (``id=tr_...``, form-encoded or JSON).

        Classic webhooks are unsigned and say nothing about the state, so nothing here is
        trusted: the job must call :meth:`get_payment`. Because every delivery for a payment
        has the same body while the payment's state changes between them (paid, then refunded),
        ``dedupe_key`` is unique per delivery; the fetch-back makes repeated processing
        harmless. A next-gen event body (``entityId``) is accepted too, keyed by its event id.

        Raises:
            CallbackVerificationError: ``body_malformed`` when there is no payment id.
        """
        text = body.decode("utf-8", "replace").strip()
        payment_id: str | None = None
        event_id: str | None = None
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if isinstance(data, dict):
                if data.get("resource") == "event":
                    payment_id = _str_or_none(data.get("entityId"))
                    event_id = _str_or_none(data.get("id"))
                else:
                    payment_id = _str_or_none(data.get("id"))
        else:
            values = parse_qs(text, keep_blank_values=True).get("id", [])
            payment_id = values[0] if len(values) == 1 else None
        if payment_id is None or not _PAYMENT_ID.fullmatch(payment_id):
            raise CallbackVerificationError(
                self.key, "body_malformed", "the delivery carries no payment id"
            )
        if event_id is not None and _EVENT_ID.fullmatch(event_id):
            dedupe_key = event_id
        else:
            dedupe_key = f"{payment_id}:{uuid.uuid4().hex}"
        return CallbackEvent(
            dedupe_key=dedupe_key,
            kind=CallbackKind.PAYMENT,
            provider_ref=payment_id,
            data={"fetch_required": True},
        )

    def public_config(self) -> Mapping[str, str]:
        """The profile id for Mollie Components, when configured; never the API key."""
        return {"profile_id": self.config.profile_id} if self.config.profile_id else {}


def _first_payment_method(method_type: str) -> str | None:
    if method_type in _METHOD_ALIASES:
        return _METHOD_ALIASES[method_type]
    if method_type in _FIRST_PAYMENT_METHODS:
        return method_type
    raise ProviderError(
        ProviderKey.MOLLIE,
        "method_type_not_supported",
        f"{method_type!r} cannot create a Mollie mandate",
    )


def _saved_method(mandate: Mapping[str, Any], customer_id: str, status: str) -> SavedMethod:
    """The mandate as a saved method: last digits only, never a full card number or IBAN."""
    details = mandate.get("details")
    details = details if isinstance(details, Mapping) else {}
    method = str(mandate.get("method", ""))
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    if method == "creditcard":
        brand = _str_or_none(details.get("cardLabel"))
        last4 = _last4(details.get("cardNumber"))
        expiry = _str_or_none(details.get("cardExpiryDate"))  # "2027-05-31"
        if expiry and re.fullmatch(r"\d{4}-\d{2}-\d{2}", expiry):
            exp_year, exp_month = int(expiry[:4]), int(expiry[5:7])
    elif method == "directdebit":
        last4 = _last4(details.get("consumerAccount"))
    return SavedMethod(
        provider_ref=str(mandate.get("id", "")),
        provider_customer_id=customer_id,
        method_type=method,
        status="valid" if status == "valid" else "pending",
        brand=brand,
        last4=last4,
        exp_month=exp_month,
        exp_year=exp_year,
    )


def _last4(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    compact = value.replace(" ", "")
    return compact[-4:] if compact else None


def _segment(value: str) -> str:
    """A path segment from an id we were given; never lets it change the path."""
    if not value:
        raise ProviderError(ProviderKey.MOLLIE, "invalid_reference", "empty identifier")
    return quote(value, safe="")


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
