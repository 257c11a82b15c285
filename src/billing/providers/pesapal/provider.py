"""The Pesapal 3.0 payment provider plugin: hosted-page orders, status fetch, IPN, refunds."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import httpx

from billing.core.money import round_money
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
    RefundStatus,
)
from billing.providers.http import DEFAULT_RETRY, RetryPolicy, TokenCache
from billing.providers.pesapal.client import PesapalClient
from billing.providers.pesapal.config import PesapalConfig
from billing.providers.pesapal.mapping import status_from_transaction

__all__ = ["PesapalProvider", "ipn_acknowledgement", "parse_ipn"]

_KEY = ProviderKey.PESAPAL
_IPN_FIELDS = ("OrderTrackingId", "OrderMerchantReference", "OrderNotificationType")


def _malformed(message: str) -> CallbackVerificationError:
    return CallbackVerificationError(_KEY, "malformed_ipn", message)


def _ipn_fields(
    body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
) -> dict[str, str]:
    """Collect the IPN parameters from the query string and/or the body (JSON or form)."""
    found: dict[str, str] = {}
    lowered = {name.lower(): name for name in _IPN_FIELDS}
    sources: list[Mapping[str, Any]] = [query]
    if body.strip():
        content_type = next(
            (v for k, v in headers.items() if k.lower() == "content-type"), ""
        ).lower()
        parsed: Any
        if "form" in content_type:
            parsed = dict(parse_qsl(body.decode("utf-8", "replace")))
        else:
            try:
                parsed = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                raise _malformed("IPN body is not JSON") from None
        if not isinstance(parsed, dict):
            raise _malformed("IPN body is not a JSON object")
        sources.append(parsed)
    for source in sources:
        for key, value in source.items():
            # Integrations disagree on the casing of these names; Pesapal documents PascalCase.
            name = lowered.get(str(key).lower())
            if name is not None and value is not None and str(value).strip():
                found.setdefault(name, str(value).strip())
    return found


def parse_ipn(body: bytes, headers: Mapping[str, str], query: Mapping[str, str]) -> CallbackEvent:
    """Extract the identifiers of an IPN delivered by GET (query) or POST (JSON body).

    Also accepts the browser return to ``callback_url`` (``OrderNotificationType`` is
    ``CALLBACKURL``). An IPN carries no status and no signature: fetch with ``get_payment``.

    Raises:
        CallbackVerificationError: ``OrderTrackingId`` or ``OrderNotificationType`` missing.
    """
    fields = _ipn_fields(body, headers, query)
    tracking_id = fields.get("OrderTrackingId")
    notification_type = fields.get("OrderNotificationType", "").upper()
    if not tracking_id:
        raise _malformed("OrderTrackingId is missing")
    if not notification_type:
        raise _malformed("OrderNotificationType is missing")
    return CallbackEvent(
        dedupe_key=f"{tracking_id}:{notification_type}",
        kind=CallbackKind.RECURRING if notification_type == "RECURRING" else CallbackKind.PAYMENT,
        provider_ref=tracking_id,
        data={
            "order_tracking_id": tracking_id,
            # For RECURRING notifications this is the subscription's account_number.
            "merchant_reference": fields.get("OrderMerchantReference", ""),
            "notification_type": notification_type,
        },
    )


def ipn_acknowledgement(event: CallbackEvent, *, processed: bool = True) -> dict[str, object]:
    """The JSON body (sent with HTTP 200) Pesapal requires in answer to an IPN.

    ``processed=False`` answers ``status: 500`` ("received, failed on our side"), which makes
    Pesapal deliver the IPN again.
    """
    return {
        "orderNotificationType": str(event.data.get("notification_type", "IPNCHANGE")),
        "orderTrackingId": event.provider_ref,
        "orderMerchantReference": str(event.data.get("merchant_reference", "")),
        "status": 200 if processed else 500,
    }


def _split_name(name: str) -> tuple[str, str, str]:
    parts = name.split()
    if not parts:
        return "", "", ""
    if len(parts) == 1:
        return parts[0], "", ""
    return parts[0], " ".join(parts[1:-1]), parts[-1]


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        # str() first: Pesapal amounts are JSON floats and must not carry binary noise.
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


class PesapalProvider(PaymentProvider):
    """Pesapal 3.0: the payer completes an order on Pesapal's hosted page.

    ``PaymentRequest.callback_url`` is the IPN URL (registered on first use unless the config
    names an ``ipn_id``); ``return_url`` is where the browser goes back to (Pesapal's
    ``callback_url``). ``metadata`` may carry ``cancellation_url`` and ``country_code``.

    Args:
        http: the shared ``httpx.AsyncClient``.
        config: Pesapal credentials; read from ``BILLING_PESAPAL_*`` when omitted.
        token_cache: token cache; the per-process one by default.
        retry: backoff for idempotent calls.
        now: current time, replaceable in tests.
    """

    key: ClassVar[ProviderKey] = _KEY
    display_name: ClassVar[str] = "Pesapal"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.CHARGE, Capability.REFUND, Capability.STATUS_QUERY}
    )
    currencies: ClassVar[frozenset[str]] = frozenset({"KES", "UGX", "TZS", "RWF", "USD"})
    method_types: ClassVar[tuple[str, ...]] = ("card", "mobile_money")

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        config: PesapalConfig | None = None,
        token_cache: TokenCache | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(http=http)
        self.config = config if config is not None else PesapalConfig()
        self.client = PesapalClient(
            self.config, http, token_cache=token_cache, retry=retry, now=now
        )

    async def _notification_id(self, request: PaymentRequest) -> str:
        if self.config.ipn_id:
            return self.config.ipn_id
        url = request.callback_url or self.config.ipn_url
        if not url:
            raise ProviderError(
                _KEY, "missing_ipn", "Pesapal needs an ipn_id or an IPN URL to register"
            )
        return await self.client.ensure_ipn(url, self.config.ipn_notification_type)

    @property
    def configured(self) -> bool:
        """True when the deployment holds this plugin's credentials."""
        return self.config.configured

    async def create_payment(self, request: PaymentRequest) -> PaymentResult:
        """Submit an order; the payer must be sent to the returned redirect URL.

        Our ``attempt_id`` is the merchant ``id`` (Pesapal has no idempotency header, so the
        unique merchant reference is what prevents two orders for one attempt). Returns
        ``pending`` with ``NextAction("redirect", url=redirect_url)`` and the
        ``order_tracking_id`` as ``provider_ref``. Never retried.

        Raises:
            ProviderError: ``unsupported_currency``, ``invalid_amount``, ``missing_return_url``,
                ``missing_contact``, ``missing_ipn`` or Pesapal's refusal.
            ProviderUnavailableError: the outcome is unknown.
        """
        currency = request.amount.currency.upper()
        if not self.supports_currency(currency):
            raise ProviderError(
                _KEY, "unsupported_currency", f"Pesapal does not charge in {currency}"
            )
        amount = round_money(request.amount.value, currency)
        if amount <= 0:
            raise ProviderError(_KEY, "invalid_amount", "the amount must be positive")
        if not request.return_url:
            raise ProviderError(
                _KEY, "missing_return_url", "Pesapal needs a return URL for the payer's browser"
            )
        customer = request.customer
        if not customer.email and not customer.phone:
            raise ProviderError(
                _KEY, "missing_contact", "Pesapal needs the payer's email or phone number"
            )
        first, middle, last = _split_name(customer.name)
        order: dict[str, Any] = {
            "id": request.attempt_id,
            "currency": currency,
            # A JSON number in major units; float() of a 2-decimal Decimal prints it exactly.
            "amount": float(amount),
            "description": (request.description or request.reference)[:100],
            "callback_url": request.return_url,
            "notification_id": await self._notification_id(request),
            "billing_address": {
                "email_address": customer.email or "",
                "phone_number": customer.phone or "",
                "country_code": request.metadata.get("country_code", ""),
                "first_name": first,
                "middle_name": middle,
                "last_name": last,
            },
        }
        if request.metadata.get("cancellation_url"):
            order["cancellation_url"] = request.metadata["cancellation_url"]
        if self.config.redirect_mode:
            order["redirect_mode"] = self.config.redirect_mode
        if self.config.branch:
            order["branch"] = self.config.branch
        body = await self.client.submit_order(order)
        redirect_url = str(body.get("redirect_url") or "")
        if not redirect_url:
            raise ProviderError(_KEY, "invalid_response", "no redirect_url in answer")
        return PaymentResult(
            provider_ref=str(body["order_tracking_id"]),
            status=PaymentStatus.PENDING,
            raw_status="submitted",
            amount=Amount(amount, currency),
            next_action=NextAction("redirect", url=redirect_url),
            raw={
                "order_tracking_id": str(body["order_tracking_id"]),
                "merchant_reference": str(body.get("merchant_reference") or request.attempt_id),
                "redirect_url": redirect_url,
                "notification_id": order["notification_id"],
            },
        )

    async def get_payment(self, provider_ref: str) -> PaymentResult:
        """``GetTransactionStatus`` mapped to the unified status (the IPN fetch-back)."""
        body = await self.client.get_transaction_status(provider_ref)
        status = status_from_transaction(
            body.get("status_code"), body.get("payment_status_description")
        )
        currency = str(body.get("currency") or "").upper()
        value = _decimal(body.get("amount"))
        amount = (
            Amount(round_money(value, currency), currency)
            if value is not None and currency
            else None
        )
        description = str(body.get("payment_status_description") or "")
        failed = status is PaymentStatus.FAILED
        return PaymentResult(
            provider_ref=provider_ref,
            status=status,
            raw_status=description or str(body.get("status_code", "")),
            amount=amount,
            failure_code=(str(body.get("payment_status_code") or "") or "failed")
            if failed
            else None,
            failure_message=(str(body.get("description") or description)) if failed else None,
            provider_receipt=str(body.get("confirmation_code") or "") or None,
            refunded_amount=amount if status is PaymentStatus.REFUNDED else None,
            raw=dict(body),
        )

    async def parse_callback(
        self,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
    ) -> CallbackEvent:
        """Parse an IPN (GET query or POST JSON); identifiers only, see :func:`parse_ipn`."""
        return parse_ipn(body, headers, query)

    async def refund(self, request: RefundRequest) -> RefundResult:
        """``RefundRequest`` by confirmation code (fetched when ``provider_receipt`` is empty).

        Pesapal answers "request received"; the merchant approves it and the payment later
        reads ``REVERSED``, so the result is ``pending`` with the payment's tracking id as
        ``provider_ref`` (poll ``get_payment``). Mobile-money payments refund in full only.
        """
        code = request.provider_receipt
        if not code:
            status = await self.client.get_transaction_status(request.payment_ref)
            code = str(status.get("confirmation_code") or "")
        if not code:
            raise ProviderError(
                _KEY, "missing_confirmation_code", "the payment has no confirmation code to refund"
            )
        currency = request.amount.currency.upper()
        body = await self.client.refund_request(
            confirmation_code=code,
            amount=round_money(request.amount.value, currency),
            username=self.config.refund_username,
            remarks=(request.reason or "Refund")[:100],
        )
        return RefundResult(
            provider_ref=request.payment_ref,
            status=RefundStatus.PENDING,
            raw_status=str(body.get("status") or "200"),
        )

    async def cancel_payment(self, provider_ref: str) -> PaymentResult:
        """``CancelOrder`` for an order the payer has not completed; returns ``cancelled``."""
        body = await self.client.cancel_order(provider_ref)
        return PaymentResult(
            provider_ref=provider_ref,
            status=PaymentStatus.CANCELLED,
            raw_status=str(body.get("message") or body.get("status") or "cancelled"),
            raw=dict(body),
        )
