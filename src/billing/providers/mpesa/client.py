"""Daraja HTTP client: OAuth token, STK push, STK Query and Reversal (providers.md section 4).

Only the token request and STK Query are retried (they cannot move money). An STK push is sent
once: Daraja has no idempotency key, and a second push is a second PIN prompt on the customer's
phone. The one exception is a push refused because the access token was invalid: Daraja did not
process it, so it is sent again once with a fresh token.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from billing.providers.base import ProviderError, ProviderKey
from billing.providers.http import (
    ProviderHTTPError,
    TokenCache,
    default_error_details,
    json_object,
    redact,
    send,
)
from billing.providers.mpesa.config import MpesaConfig
from billing.providers.mpesa.mapping import (
    BEING_PROCESSED_ERROR_CODE,
    INVALID_TOKEN_ERROR_CODE,
    is_being_processed,
)
from billing.providers.token_client import TokenClient

__all__ = [
    "EAT",
    "DarajaClient",
    "ReversalAck",
    "StkPushAck",
    "StkQueryResult",
    "daraja_timestamp",
    "stk_password",
]

# Kenya has used UTC+3 all year since 1960; a fixed offset avoids depending on tzdata.
EAT = timezone(timedelta(hours=3), "EAT")

_PROVIDER = ProviderKey.MPESA
_TOKEN_PATH = "/oauth/v1/generate"
_STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
_STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"
_REVERSAL_PATH = "/mpesa/reversal/v1/request"
_TRANSACTION_STATUS_PATH = "/mpesa/transactionstatus/v1/query"


def daraja_timestamp(now: datetime | None = None) -> str:
    """The 14-digit ``YYYYMMDDHHmmss`` timestamp in Kenyan time (EAT) that Daraja expects."""
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("daraja_timestamp needs an aware datetime")
    return moment.astimezone(EAT).strftime("%Y%m%d%H%M%S")


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    """STK ``Password``: base64 of shortcode + passkey + timestamp, concatenated (no hashing)."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode("ascii")


@dataclass(frozen=True, slots=True)
class StkPushAck:
    """Daraja's synchronous answer to an STK push: accepted for processing, nothing more."""

    merchant_request_id: str
    checkout_request_id: str
    response_code: str
    response_description: str
    customer_message: str
    timestamp: str
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StkQueryResult:
    """STK Query answer; ``processing`` while the customer has not answered the prompt."""

    checkout_request_id: str
    processing: bool
    result_code: str | None = None
    result_desc: str | None = None
    merchant_request_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReversalAck:
    """Daraja's synchronous answer to an asynchronous request (a reversal, a transaction status
    query); the result is posted later to its ResultURL."""

    originator_conversation_id: str
    conversation_id: str
    response_code: str
    response_description: str
    raw: Mapping[str, Any] = field(default_factory=dict)


def _is_invalid_token(exc: ProviderHTTPError) -> bool:
    return exc.status_code == 401 or exc.code == INVALID_TOKEN_ERROR_CODE


def _push_refused(response: httpx.Response) -> bool:
    # On a push, 500.001.1001 means "wrong credentials" or "unable to lock subscriber": a known
    # refusal (nothing was charged), not an unknown outcome.
    if response.status_code != 500:
        return False
    body = json_object(response) or {}
    return str(body.get("errorCode", "")) == BEING_PROCESSED_ERROR_CODE


def _query_processing(response: httpx.Response) -> bool:
    if response.status_code != 500:
        return False
    body = json_object(response) or {}
    return is_being_processed(str(body.get("errorCode", "")), str(body.get("errorMessage", "")))


class DarajaClient(TokenClient[MpesaConfig]):
    """Thin typed wrapper over the Daraja endpoints the plugin uses (the token request and STK
    Query are the idempotent calls ``retry`` applies to)."""

    provider = _PROVIDER
    shared_tokens = TokenCache()
    not_configured = "M-Pesa is not configured (consumer key/secret, shortcode, passkey)"

    async def _request_token(self) -> tuple[str, float]:
        """An OAuth access token for the consumer key and secret."""
        response = await send(
            self.http,
            _PROVIDER,
            "GET",
            f"{self._base}{_TOKEN_PATH}",
            idempotent=True,
            params={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth(
                self.config.consumer_key, self.config.consumer_secret.get_secret_value()
            ),
            secrets=self._secrets(),
            retry=self.retry,
        )
        body = json_object(response) or {}
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ProviderError(_PROVIDER, "invalid_token_response", "no access_token in answer")
        try:
            # Daraja sends expires_in as a string ("3599") more often than as a number.
            lifetime = float(body.get("expires_in", 3599))
        except (TypeError, ValueError):
            lifetime = 3599.0
        return token, lifetime

    async def _authorized(
        self,
        path: str,
        payload: Mapping[str, Any],
        *,
        idempotent: bool,
        passthrough: Callable[[httpx.Response], bool] | None = None,
    ) -> httpx.Response:
        async def call(token: str) -> httpx.Response:
            return await send(
                self.http,
                _PROVIDER,
                "POST",
                f"{self._base}{path}",
                idempotent=idempotent,
                json=dict(payload),
                headers={"Authorization": f"Bearer {token}"},
                secrets=self._secrets(token),
                passthrough=passthrough,
                retry=self.retry,
            )

        return await self._with_token(call)

    async def _with_token(self, call: Callable[[str], Awaitable[httpx.Response]]) -> httpx.Response:
        token = await self.access_token()
        try:
            return await call(token)
        except ProviderHTTPError as exc:
            if not _is_invalid_token(exc):
                raise
        # Daraja refused the token (revoked or expired early): the request was not processed,
        # so it is safe to send it once more with a fresh token, even a push.
        self.tokens.invalidate(self._token_key, token)
        return await call(await self.access_token(refresh=True))

    async def stk_push(
        self,
        *,
        phone: str,
        amount: int,
        account_reference: str,
        description: str,
        callback_url: str,
    ) -> StkPushAck:
        """Send an STK push (M-Pesa Express). Never retried.

        ``phone`` must already be normalised and ``amount`` a whole number of shillings.

        Raises:
            ProviderError: Daraja refused the push (bad field, wrong credentials, subscriber
                locked, non-zero ``ResponseCode``).
            ProviderUnavailableError: transport failure, timeout or 5xx: the outcome is unknown.
        """
        self._require_configured()
        timestamp = daraja_timestamp(self._now())
        shortcode = self.config.shortcode
        passkey = self.config.passkey.get_secret_value()
        payload = {
            "BusinessShortCode": int(shortcode) if shortcode.isdigit() else shortcode,
            "Password": stk_password(shortcode, passkey, timestamp),
            "Timestamp": timestamp,
            "TransactionType": self.config.transaction_type.value,
            "Amount": amount,
            "PartyA": phone,
            "PartyB": self.config.till_or_paybill,
            "PhoneNumber": phone,
            "CallBackURL": callback_url,
            # Daraja limits: AccountReference 12 chars (shown in the prompt), description 13.
            "AccountReference": account_reference[:12],
            "TransactionDesc": (description or "Payment")[:13],
        }
        response = await self._authorized(
            _STK_PUSH_PATH, payload, idempotent=False, passthrough=_push_refused
        )
        body = json_object(response) or {}
        if not response.is_success:
            code, message = default_error_details(response)
            raise ProviderError(_PROVIDER, code, redact(message, self._secrets()))
        response_code = str(body.get("ResponseCode", ""))
        checkout_id = body.get("CheckoutRequestID")
        if response_code != "0" or not isinstance(checkout_id, str) or not checkout_id:
            raise ProviderError(
                _PROVIDER,
                response_code or "invalid_response",
                redact(
                    str(body.get("ResponseDescription") or "push not accepted"), self._secrets()
                ),
            )
        return StkPushAck(
            merchant_request_id=str(body.get("MerchantRequestID", "")),
            checkout_request_id=checkout_id,
            response_code=response_code,
            response_description=str(body.get("ResponseDescription", "")),
            customer_message=str(body.get("CustomerMessage", "")),
            timestamp=timestamp,
            raw=body,
        )

    async def stk_query(self, checkout_request_id: str) -> StkQueryResult:
        """Ask Daraja for the state of an STK push (idempotent; retried on 5xx/transport)."""
        self._require_configured()
        timestamp = daraja_timestamp(self._now())
        shortcode = self.config.shortcode
        payload = {
            "BusinessShortCode": shortcode,
            "Password": stk_password(shortcode, self.config.passkey.get_secret_value(), timestamp),
            "Timestamp": timestamp,
            "CheckoutRequestID": checkout_request_id,
        }
        response = await self._authorized(
            _STK_QUERY_PATH, payload, idempotent=True, passthrough=_query_processing
        )
        body = json_object(response) or {}
        if not response.is_success:
            return StkQueryResult(checkout_request_id, processing=True, raw=body)
        result_code = body.get("ResultCode")
        if result_code is None:
            raise ProviderError(
                _PROVIDER,
                str(body.get("ResponseCode") or "invalid_response"),
                redact(str(body.get("ResponseDescription") or "no ResultCode"), self._secrets()),
            )
        return StkQueryResult(
            checkout_request_id=str(body.get("CheckoutRequestID") or checkout_request_id),
            processing=False,
            result_code=str(result_code).strip(),
            result_desc=str(body.get("ResultDesc", "")),
            merchant_request_id=body.get("MerchantRequestID"),
            raw=body,
        )

    async def reversal(
        self,
        *,
        transaction_id: str,
        amount: int,
        remarks: str,
        occasion: str | None = None,
    ) -> ReversalAck:
        """Request the reversal of an M-Pesa transaction (by receipt). Never retried.

        Raises:
            ProviderError: reversals are not configured, or Daraja refused the request.
            ProviderUnavailableError: the outcome is unknown.
        """
        config = self.config
        if not config.reversals_configured or config.security_credential is None:
            raise ProviderError(
                _PROVIDER,
                "reversals_not_configured",
                "M-Pesa reversals need an initiator, its security credential and result URLs",
            )
        # Remarks must be 2-100 characters.
        remarks = (remarks.strip() or "Refund").ljust(2, ".")[:100]
        payload: dict[str, Any] = {
            "Initiator": config.initiator_name,
            "SecurityCredential": config.security_credential.get_secret_value(),
            "CommandID": "TransactionReversal",
            "TransactionID": transaction_id,
            "Amount": amount,
            "ReceiverParty": config.shortcode,
            "RecieverIdentifierType": "11",  # sic: Safaricom's spelling of the field
            "ResultURL": config.reversal_result_url,
            "QueueTimeOutURL": config.reversal_timeout_url,
            "Remarks": remarks,
            "Occasion": (occasion or "")[:100],
        }
        return await self._accepted(_REVERSAL_PATH, payload, "reversal", idempotent=False)

    async def transaction_status(
        self,
        *,
        transaction_id: str,
        result_url: str,
        timeout_url: str,
        occasion: str | None = None,
    ) -> ReversalAck:
        """Ask Daraja about one transaction (by receipt); the answer is posted to ``result_url``.

        Raises:
            ProviderError: the initiator is not configured, or Daraja refused the request.
            ProviderUnavailableError: Daraja did not answer.
        """
        config = self.config
        if not config.status_queries_configured or config.security_credential is None:
            raise ProviderError(
                _PROVIDER,
                "status_queries_not_configured",
                "M-Pesa transaction status queries need an initiator and its security credential",
            )
        payload: dict[str, Any] = {
            "Initiator": config.initiator_name,
            "SecurityCredential": config.security_credential.get_secret_value(),
            "CommandID": "TransactionStatusQuery",
            "TransactionID": transaction_id,
            "PartyA": config.shortcode,
            "IdentifierType": "4",
            "ResultURL": result_url,
            "QueueTimeOutURL": timeout_url,
            "Remarks": "Payment confirmation",
            "Occasion": (occasion or "")[:100],
        }
        return await self._accepted(
            _TRANSACTION_STATUS_PATH, payload, "status query", idempotent=True
        )

    async def _accepted(
        self, path: str, payload: Mapping[str, Any], what: str, *, idempotent: bool
    ) -> ReversalAck:
        """Send an asynchronous request; its acknowledgement, or the refusal as an error."""
        response = await self._authorized(path, payload, idempotent=idempotent)
        body = json_object(response) or {}
        response_code = str(body.get("ResponseCode", ""))
        if response_code != "0":
            raise ProviderError(
                _PROVIDER,
                response_code or "invalid_response",
                redact(
                    str(body.get("ResponseDescription") or f"{what} not accepted"),
                    self._secrets(),
                ),
            )
        return ReversalAck(
            originator_conversation_id=str(body.get("OriginatorConversationID", "")),
            conversation_id=str(body.get("ConversationID", "")),
            response_code=response_code,
            response_description=str(body.get("ResponseDescription", "")),
            raw=body,
        )
