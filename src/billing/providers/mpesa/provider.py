"""The M-Pesa (Daraja) payment provider plugin: STK push charges, STK Query, reversals, C2B."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal

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
from billing.providers.mpesa.client import EAT, DarajaClient
from billing.providers.mpesa.config import MpesaConfig
from billing.providers.mpesa.mapping import (
    BEING_PROCESSED_ERROR_CODE,
    refund_status_from_result_code,
    status_from_result_code,
)
from billing.providers.phone import (
    InvalidAmountError,
    InvalidPhoneNumberError,
    normalize_msisdn,
    whole_kes,
)

__all__ = [
    "MpesaProvider",
    "c2b_confirmation_ack",
    "c2b_validation_response",
    "callback_ack",
    "parse_c2b_notification",
    "parse_reversal_result",
    "parse_stk_callback",
]

_KEY = ProviderKey.MPESA
_KES = "KES"
C2BKind = Literal[CallbackKind.C2B_VALIDATION, CallbackKind.C2B_CONFIRMATION]
TRANSACTION_STATUS_KIND = CallbackKind.TRANSACTION_STATUS.value
"""``query["kind"]`` of a Transaction Status result (its body looks like a reversal's)."""


def callback_ack() -> dict[str, object]:
    """The answer Daraja expects from an STK callback or a reversal result URL (HTTP 200)."""
    return {"ResultCode": 0, "ResultDesc": "Accepted"}


def c2b_confirmation_ack() -> dict[str, object]:
    """The answer to a C2B confirmation (HTTP 200)."""
    return {"ResultCode": 0, "ResultDesc": "Success"}


def c2b_validation_response(
    accept: bool,
    *,
    reject_code: str = "C2B00016",
    third_party_trans_id: str | None = None,
) -> dict[str, object]:
    """The answer to a C2B validation: accept, or reject with a ``C2B000xx`` code.

    Reject codes: ``C2B00011`` invalid MSISDN, ``C2B00012`` invalid account number,
    ``C2B00013`` invalid amount, ``C2B00014`` invalid KYC, ``C2B00015`` invalid shortcode,
    ``C2B00016`` other error.
    """
    if not accept:
        return {"ResultCode": reject_code, "ResultDesc": "Rejected"}
    answer: dict[str, object] = {"ResultCode": "0", "ResultDesc": "Accepted"}
    if third_party_trans_id:
        answer["ThirdPartyTransID"] = third_party_trans_id
    return answer


def _malformed(message: str) -> CallbackVerificationError:
    return CallbackVerificationError(_KEY, "malformed_callback", message)


def _load_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _malformed("body is not JSON") from None
    if not isinstance(data, dict):
        raise _malformed("body is not a JSON object")
    return data


def _kes(value: object, field_name: str) -> Amount:
    if isinstance(value, bool) or value is None:
        raise _malformed(f"{field_name} is missing or not a number")
    try:
        # str() first: the callback's Amount is a float (1.00) and must not carry binary noise.
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _malformed(f"{field_name} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise _malformed(f"{field_name} is not a valid amount")
    return Amount(round_money(amount, _KES), _KES)


def _eat_datetime(value: object) -> datetime | None:
    """Parse Daraja's ``YYYYMMDDHHmmss`` (a number in callbacks, a string in C2B) as EAT."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=EAT)
    except ValueError:
        raise _malformed(f"'{text}' is not a Daraja timestamp") from None


def _required_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise _malformed(f"{key} is missing")
    return str(value).strip()


def parse_stk_callback(data: Mapping[str, Any]) -> CallbackEvent:
    """Extract what an STK callback body (``{"Body": {"stkCallback": ...}}``) says.

    The event is a hint (Daraja callbacks are unsigned and their format is public): confirm with
    ``get_payment`` (STK Query) and compare the amount before acting.

    Raises:
        CallbackVerificationError: the body does not have the documented shape.
    """
    body = data.get("Body")
    stk = body.get("stkCallback") if isinstance(body, dict) else None
    if not isinstance(stk, dict):
        raise _malformed("Body.stkCallback is missing")
    checkout_id = _required_str(stk, "CheckoutRequestID")
    result_code = _required_str(stk, "ResultCode")
    metadata = stk.get("CallbackMetadata")
    items: dict[str, object] = {}
    if metadata is not None:
        raw_items = metadata.get("Item") if isinstance(metadata, dict) else None
        if not isinstance(raw_items, list):
            raise _malformed("CallbackMetadata.Item is not a list")
        for item in raw_items:
            if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
                raise _malformed("CallbackMetadata.Item has an entry without Name")
            # Order and presence vary; Balance usually comes without a Value.
            items[item["Name"]] = item.get("Value")
    status = status_from_result_code(result_code)
    receipt = items.get("MpesaReceiptNumber")
    if status is PaymentStatus.SUCCEEDED and (not isinstance(receipt, str) or not receipt):
        raise _malformed("a successful STK callback must carry MpesaReceiptNumber")
    amount = _kes(items["Amount"], "Amount") if items.get("Amount") is not None else None
    phone = items.get("PhoneNumber")
    return CallbackEvent(
        # Per result: an early (possibly forged) delivery never shadows the genuine one.
        dedupe_key=f"{checkout_id}:{result_code}",
        kind=CallbackKind.PAYMENT,
        provider_ref=checkout_id,
        reported_status=status,
        reported_amount=amount,
        occurred_at=_eat_datetime(items.get("TransactionDate")),
        data={
            "merchant_request_id": str(stk.get("MerchantRequestID", "")),
            "result_code": result_code,
            "result_desc": str(stk.get("ResultDesc", "")),
            "receipt": receipt if isinstance(receipt, str) else None,
            # A number in the callback; compare as a string with the stored MSISDN.
            "phone": str(phone) if phone is not None else None,
        },
    )


def parse_c2b_notification(data: Mapping[str, Any], *, kind: C2BKind) -> CallbackEvent:
    """Extract a C2B validation or confirmation (same body; the URL tells which it is).

    ``BillRefNumber`` is the account reference the customer typed (our invoice number);
    ``MSISDN`` is masked (v2) or hashed (v1), so it identifies nobody by itself.

    Raises:
        CallbackVerificationError: ``TransID`` or ``TransAmount`` missing or invalid.
    """
    trans_id = _required_str(data, "TransID")
    amount = _kes(data.get("TransAmount"), "TransAmount")
    return CallbackEvent(
        dedupe_key=f"{kind}:{trans_id}",
        kind=kind,
        provider_ref=trans_id,
        # A confirmation reports money already received; a validation asks whether to take it.
        reported_status=PaymentStatus.SUCCEEDED if kind is CallbackKind.C2B_CONFIRMATION else None,
        reported_amount=amount,
        occurred_at=_eat_datetime(data.get("TransTime")),
        data={
            "account_reference": str(data.get("BillRefNumber") or "").strip(),
            "msisdn": str(data.get("MSISDN") or ""),
            "business_shortcode": str(data.get("BusinessShortCode") or ""),
            "transaction_type": str(data.get("TransactionType") or ""),
            "invoice_number": str(data.get("InvoiceNumber") or ""),
            "third_party_trans_id": str(data.get("ThirdPartyTransID") or ""),
            "first_name": str(data.get("FirstName") or ""),
        },
    )


def _result_parameters(result: Mapping[str, Any]) -> dict[str, object]:
    parameters: dict[str, object] = {}
    raw_params = result.get("ResultParameters")
    entries = raw_params.get("ResultParameter") if isinstance(raw_params, dict) else None
    if isinstance(entries, dict):  # a single parameter may come as an object, not a list
        entries = [entries]
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("Key"), str):
            parameters[entry["Key"]] = entry.get("Value")
    return parameters


def parse_transaction_status_result(data: Mapping[str, Any]) -> CallbackEvent:
    """Extract a Transaction Status result posted to its ResultURL (``{"Result": {...}}``).

    ``provider_ref`` is the transaction's receipt (``ReceiptNo``, else ``TransactionID``);
    ``data`` carries the amount, status and parties Daraja reports for it.

    Raises:
        CallbackVerificationError: the body does not have the documented shape.
    """
    result = data.get("Result")
    if not isinstance(result, dict):
        raise _malformed("Result is missing")
    conversation_id = _required_str(result, "ConversationID")
    result_code = _required_str(result, "ResultCode")
    parameters = _result_parameters(result)
    receipt = str(parameters.get("ReceiptNo") or result.get("TransactionID") or "").strip()
    if not receipt:
        raise _malformed("the result names no transaction")
    amount = parameters.get("Amount")
    return CallbackEvent(
        dedupe_key=f"{TRANSACTION_STATUS_KIND}:{conversation_id}",
        kind=CallbackKind.TRANSACTION_STATUS,
        provider_ref=receipt,
        reported_amount=_kes(amount, "Amount") if amount not in (None, "") else None,
        data={
            "result_code": result_code,
            "result_desc": str(result.get("ResultDesc", "")),
            "conversation_id": conversation_id,
            "originator_conversation_id": str(result.get("OriginatorConversationID", "")),
            "transaction_status": str(parameters.get("TransactionStatus") or ""),
            "credit_party": str(parameters.get("CreditPartyName") or ""),
            "debit_party": str(parameters.get("DebitPartyName") or ""),
        },
    )


def parse_reversal_result(data: Mapping[str, Any]) -> CallbackEvent:
    """Extract a Reversal result posted to the ResultURL (``{"Result": {...}}``).

    ``provider_ref`` is the ``ConversationID``, as returned in ``RefundResult.provider_ref``.

    Raises:
        CallbackVerificationError: the body does not have the documented shape.
    """
    result = data.get("Result")
    if not isinstance(result, dict):
        raise _malformed("Result is missing")
    conversation_id = _required_str(result, "ConversationID")
    result_code = _required_str(result, "ResultCode")
    parameters = _result_parameters(result)
    refund_status = refund_status_from_result_code(result_code)
    amount = parameters.get("Amount")
    return CallbackEvent(
        dedupe_key=f"reversal:{conversation_id}",
        kind=CallbackKind.REFUND,
        provider_ref=conversation_id,
        reported_status=PaymentStatus.REFUNDED if refund_status is RefundStatus.SUCCEEDED else None,
        reported_amount=_kes(amount, "Amount") if amount is not None else None,
        data={
            "refund_status": refund_status.value,
            "result_code": result_code,
            "result_desc": str(result.get("ResultDesc", "")),
            "originator_conversation_id": str(result.get("OriginatorConversationID", "")),
            "transaction_id": str(result.get("TransactionID", "")),
            "original_transaction_id": str(parameters.get("OriginalTransactionID") or ""),
        },
    )


class MpesaProvider(PaymentProvider):
    """Safaricom M-Pesa through Daraja's M-Pesa Express (STK push).

    There is no reusable method: each charge prompts the payer's phone for their PIN. The
    payer's number is ``request.metadata["phone"]`` when given (entered at checkout), else
    ``request.customer.phone``; both are normalised to ``2547XXXXXXXX``/``2541XXXXXXXX``.

    Args:
        http: the shared ``httpx.AsyncClient``.
        config: Daraja credentials; read from ``BILLING_MPESA_*`` when omitted.
        token_cache: OAuth token cache; the per-process one by default.
        retry: backoff for idempotent calls.
        now: current time, replaceable in tests.
    """

    key: ClassVar[ProviderKey] = _KEY
    display_name: ClassVar[str] = "M-Pesa"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.CHARGE, Capability.REFUND, Capability.STATUS_QUERY}
    )
    currencies: ClassVar[frozenset[str]] = frozenset({_KES})
    method_types: ClassVar[tuple[str, ...]] = ("mpesa",)

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        config: MpesaConfig | None = None,
        token_cache: TokenCache | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(http=http)
        self.config = config if config is not None else MpesaConfig()
        self._now = now or (lambda: datetime.now(UTC))
        self.client = DarajaClient(
            self.config, http, token_cache=token_cache, retry=retry, now=self._now
        )

    @property
    def configured(self) -> bool:
        """True when the deployment holds this plugin's credentials."""
        return self.config.configured

    async def create_payment(self, request: PaymentRequest) -> PaymentResult:
        """Send an STK push; the result is pending until the payer answers the prompt.

        Returns ``pending`` with ``NextAction("await_customer")`` and the ``CheckoutRequestID``
        as ``provider_ref``. The push is never retried: on ``ProviderUnavailableError`` keep the
        attempt pending and do not push again for it.

        Raises:
            ProviderError: ``unsupported_currency``, ``invalid_phone_number``,
                ``invalid_amount``, ``missing_callback_url``, or Daraja's refusal.
            ProviderUnavailableError: the outcome is unknown.
        """
        if request.amount.currency.upper() != _KES:
            raise ProviderError(
                _KEY,
                "unsupported_currency",
                f"M-Pesa charges KES only, not {request.amount.currency}",
            )
        raw_phone = request.metadata.get("phone") or request.customer.phone
        try:
            phone = normalize_msisdn(raw_phone or "")
            amount = whole_kes(request.amount.value)
        except InvalidPhoneNumberError as exc:
            raise ProviderError(_KEY, "invalid_phone_number", str(exc)) from exc
        except InvalidAmountError as exc:
            raise ProviderError(_KEY, "invalid_amount", str(exc)) from exc
        callback_url = request.callback_url or self.config.default_callback_url
        if not callback_url:
            raise ProviderError(_KEY, "missing_callback_url", "an STK push needs a CallBackURL")
        ack = await self.client.stk_push(
            phone=phone,
            amount=amount,
            account_reference=request.reference,
            description=request.description,
            callback_url=callback_url,
        )
        return PaymentResult(
            provider_ref=ack.checkout_request_id,
            status=PaymentStatus.PENDING,
            raw_status=ack.response_code,
            amount=Amount(Decimal(amount), _KES),
            next_action=NextAction(
                "await_customer",
                expires_at=self._now() + timedelta(seconds=self.config.stk_expiry_seconds),
            ),
            raw={
                "merchant_request_id": ack.merchant_request_id,
                "checkout_request_id": ack.checkout_request_id,
                "customer_message": ack.customer_message,
                "timestamp": ack.timestamp,
                "phone": phone,
            },
        )

    async def get_payment(self, provider_ref: str) -> PaymentResult:
        """STK Query: ``processing`` while the payer has not answered, then the mapped result.

        STK Query does not return the receipt number or the amount; take those from the
        callback.
        """
        result = await self.client.stk_query(provider_ref)
        if result.processing or result.result_code is None:
            return PaymentResult(
                provider_ref=provider_ref,
                status=PaymentStatus.PROCESSING,
                raw_status=BEING_PROCESSED_ERROR_CODE,
                raw=dict(result.raw),
            )
        status = status_from_result_code(result.result_code)
        failed = status is not PaymentStatus.SUCCEEDED
        return PaymentResult(
            provider_ref=result.checkout_request_id,
            status=status,
            raw_status=result.result_code,
            failure_code=result.result_code if failed else None,
            failure_message=result.result_desc if failed else None,
            raw=dict(result.raw),
        )

    async def parse_callback(
        self,
        body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
    ) -> CallbackEvent:
        """Parse an STK callback, a Reversal result or a C2B validation/confirmation.

        The kind is told apart by shape (``Body.stkCallback``, ``Result``, ``TransID``). C2B
        validation and confirmation share a body, so a C2B delivery is a confirmation unless the
        route passes ``query["kind"] == "c2b_validation"`` (or ``"validation"``). Nothing is
        signed: the route should carry an unguessable token, and the caller must confirm with
        ``get_payment`` before changing state.

        Raises:
            CallbackVerificationError: malformed body.
        """
        data = _load_json(body)
        if "Body" in data:
            return parse_stk_callback(data)
        if "Result" in data:
            if query.get("kind") == TRANSACTION_STATUS_KIND:
                return parse_transaction_status_result(data)
            return parse_reversal_result(data)
        if "TransID" in data:
            wanted = query.get("kind", "")
            kind: C2BKind = (
                CallbackKind.C2B_VALIDATION
                if wanted in ("c2b_validation", "validation")
                else CallbackKind.C2B_CONFIRMATION
            )
            return parse_c2b_notification(data, kind=kind)
        raise _malformed("not an STK callback, reversal result or C2B notification")

    async def refund(self, request: RefundRequest) -> RefundResult:
        """Reverse the M-Pesa transaction whose receipt is ``request.provider_receipt``.

        Returns ``pending`` with the ``ConversationID`` as ``provider_ref``; the outcome arrives
        at the configured ResultURL (see :func:`parse_reversal_result`). Never retried.

        Raises:
            ProviderError: ``missing_receipt``, ``invalid_amount``, reversals not configured, or
                Daraja's refusal.
            ProviderUnavailableError: the outcome is unknown.
        """
        if not request.provider_receipt:
            raise ProviderError(
                _KEY, "missing_receipt", "an M-Pesa reversal needs the MpesaReceiptNumber"
            )
        if request.amount.currency.upper() != _KES:
            raise ProviderError(_KEY, "unsupported_currency", "M-Pesa refunds are in KES")
        try:
            amount = whole_kes(request.amount.value)
        except InvalidAmountError as exc:
            raise ProviderError(_KEY, "invalid_amount", str(exc)) from exc
        ack = await self.client.reversal(
            transaction_id=request.provider_receipt,
            amount=amount,
            remarks=request.reason or "Refund",
            occasion=request.refund_id,
        )
        return RefundResult(
            provider_ref=ack.conversation_id,
            status=RefundStatus.PENDING,
            raw_status=ack.response_code,
        )

    async def request_transaction_status(
        self, transaction_id: str, *, result_url: str, timeout_url: str, occasion: str
    ) -> str:
        """Ask Daraja to confirm a transaction (a C2B payment) by its receipt; the answer is
        posted to ``result_url`` (parse it with ``query["kind"] = "transaction_status"``).
        Returns the ``ConversationID``.

        Raises:
            ProviderError: status queries are not configured, or Daraja refused.
            ProviderUnavailableError: Daraja did not answer.
        """
        ack = await self.client.transaction_status(
            transaction_id=transaction_id,
            result_url=result_url,
            timeout_url=timeout_url,
            occasion=occasion,
        )
        return ack.conversation_id

    def public_config(self) -> Mapping[str, str]:
        """The Paybill/Till number customers can pay to manually (C2B); never a secret."""
        if not self.config.configured:
            return {}
        return {
            "business_number": self.config.till_or_paybill,
            "transaction_type": self.config.transaction_type.value,
        }
