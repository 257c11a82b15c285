"""Pesapal 3.0 HTTP client: token, IPN registration, orders, status, refunds, cancellation.

Tokens live at most five minutes; they are cached per process until ``expiryDate`` minus a
margin and fetched again after a 401. Only the token request, the IPN list and status queries
are retried; an order submission, a refund or a cancellation is sent once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from billing.providers.base import ProviderError, ProviderKey, ProviderUnavailableError
from billing.providers.http import (
    ProviderHTTPError,
    TokenCache,
    json_object,
    redact,
    send,
)
from billing.providers.pesapal.config import IpnNotificationType, PesapalConfig
from billing.providers.pesapal.mapping import body_error
from billing.providers.token_client import TokenClient

__all__ = ["MAX_TOKEN_LIFETIME_S", "PesapalClient", "parse_pesapal_datetime"]

MAX_TOKEN_LIFETIME_S = 300.0

_PROVIDER = ProviderKey.PESAPAL
# (token cache key of the account, IPN URL, method) -> ipn_id; registrations are permanent.
_IPN_IDS: dict[tuple[str, str, str], str] = {}
_JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


def parse_pesapal_datetime(value: object) -> datetime | None:
    """Parse Pesapal's ISO timestamps (seven fractional digits, ``Z`` or no zone = UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    head, sep, tail = text.partition(".")
    if sep:
        # Python accepts at most six fractional digits; Pesapal sends up to seven.
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class _TokenRejected(Exception):
    """Pesapal answered 401 (in the status line or the body): fetch a new token once."""


class PesapalClient(TokenClient[PesapalConfig]):
    """Thin typed wrapper over the Pesapal 3.0 endpoints the plugin uses (``now`` is compared
    with the ``expiryDate`` of tokens)."""

    provider = _PROVIDER
    shared_tokens = TokenCache()
    not_configured = "Pesapal is not configured (consumer key/secret)"

    def _check(self, body: Mapping[str, Any], token: str = "") -> None:
        error = body_error(body)
        if error is None:
            return
        status, code, message = error
        if status == "401":
            raise _TokenRejected
        message = redact(f"{message} (status {status})", self._secrets(token))
        if not code and status.startswith("5"):
            raise ProviderUnavailableError(_PROVIDER, f"status_{status}", message)
        raise ProviderError(_PROVIDER, redact(code or f"status_{status}", self._secrets()), message)

    async def _request_token(self) -> tuple[str, float]:
        """A token for the consumer key and secret, trusted for at most five minutes."""
        response = await send(
            self.http,
            _PROVIDER,
            "POST",
            f"{self._base}/api/Auth/RequestToken",
            idempotent=True,
            json={
                "consumer_key": self.config.consumer_key,
                "consumer_secret": self.config.consumer_secret.get_secret_value(),
            },
            headers=_JSON_HEADERS,
            secrets=self._secrets(),
            retry=self.retry,
        )
        body = json_object(response) or {}
        try:
            self._check(body)
        except _TokenRejected:
            raise ProviderError(_PROVIDER, "status_401", "token request refused") from None
        token = body.get("token")
        if not isinstance(token, str) or not token:
            raise ProviderError(_PROVIDER, "invalid_token_response", "no token in answer")
        lifetime = MAX_TOKEN_LIFETIME_S
        expiry = parse_pesapal_datetime(body.get("expiryDate"))
        if expiry is not None:
            # Never trust a token beyond five minutes, whatever the clocks say.
            lifetime = min(lifetime, (expiry - self._now()).total_seconds())
        return token, lifetime

    async def _call(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        async def attempt(token: str) -> Any:
            try:
                response = await send(
                    self.http,
                    _PROVIDER,
                    method,
                    f"{self._base}{path}",
                    idempotent=idempotent,
                    json=dict(json) if json is not None else None,
                    params=params,
                    headers={**_JSON_HEADERS, "Authorization": f"Bearer {token}"},
                    secrets=self._secrets(token),
                    retry=self.retry,
                )
            except ProviderHTTPError as exc:
                if exc.status_code == 401:
                    raise _TokenRejected from None
                raise
            try:
                data = response.json()
            except ValueError:
                raise ProviderError(_PROVIDER, "invalid_response", f"{path}: not JSON") from None
            if isinstance(data, dict):
                self._check(data, token)
            return data

        return await self._with_token(attempt)

    async def _with_token(self, attempt: Callable[[str], Awaitable[Any]]) -> Any:
        token = await self.access_token()
        try:
            return await attempt(token)
        except _TokenRejected:
            pass
        # A 401 means the request was not processed, so sending it again is safe even for an
        # order submission. Tokens can die before expiryDate (clock skew, revocation).
        self.tokens.invalidate(self._token_key, token)
        try:
            return await attempt(await self.access_token(refresh=True))
        except _TokenRejected:
            raise ProviderError(_PROVIDER, "status_401", "a fresh token was refused") from None

    async def register_ipn(
        self, url: str, notification_type: IpnNotificationType
    ) -> Mapping[str, Any]:
        """``RegisterIPN``: returns the body with ``ipn_id``."""
        body = await self._call(
            "POST",
            "/api/URLSetup/RegisterIPN",
            idempotent=False,
            json={"url": url, "ipn_notification_type": notification_type.value},
        )
        if not isinstance(body, dict) or not body.get("ipn_id"):
            raise ProviderError(_PROVIDER, "invalid_response", "RegisterIPN returned no ipn_id")
        return body

    async def get_ipn_list(self) -> list[Mapping[str, Any]]:
        """``GetIpnList``: the IPN URLs registered for the account."""
        body = await self._call("GET", "/api/URLSetup/GetIpnList", idempotent=True)
        if not isinstance(body, list):
            raise ProviderError(_PROVIDER, "invalid_response", "GetIpnList did not return a list")
        return [entry for entry in body if isinstance(entry, dict)]

    async def ensure_ipn(self, url: str, notification_type: IpnNotificationType) -> str:
        """The ``ipn_id`` of ``url``: cached, found in ``GetIpnList``, or newly registered."""
        cache_key = (self._token_key, url, notification_type.value)
        cached = _IPN_IDS.get(cache_key)
        if cached is not None:
            return cached
        wanted = notification_type.value
        for entry in await self.get_ipn_list():
            method = str(
                entry.get("ipn_notification_type_description")
                or entry.get("ipn_notification_type")
                or ""
            ).upper()
            if entry.get("url") == url and method == wanted and entry.get("ipn_id"):
                ipn_id = str(entry["ipn_id"])
                break
        else:
            ipn_id = str((await self.register_ipn(url, notification_type))["ipn_id"])
        _IPN_IDS[cache_key] = ipn_id
        return ipn_id

    async def submit_order(self, order: Mapping[str, Any]) -> Mapping[str, Any]:
        """``SubmitOrderRequest``; never retried (a lost answer may still be an order)."""
        body = await self._call(
            "POST", "/api/Transactions/SubmitOrderRequest", idempotent=False, json=order
        )
        if not isinstance(body, dict) or not body.get("order_tracking_id"):
            raise ProviderError(_PROVIDER, "invalid_response", "no order_tracking_id in answer")
        return body

    async def get_transaction_status(self, order_tracking_id: str) -> Mapping[str, Any]:
        """``GetTransactionStatus``; idempotent, retried on transport errors and 5xx."""
        body = await self._call(
            "GET",
            "/api/Transactions/GetTransactionStatus",
            idempotent=True,
            params={"orderTrackingId": order_tracking_id},
        )
        if not isinstance(body, dict):
            raise ProviderError(_PROVIDER, "invalid_response", "status answer is not an object")
        return body

    async def refund_request(
        self, *, confirmation_code: str, amount: Decimal, username: str, remarks: str
    ) -> Mapping[str, Any]:
        """``RefundRequest`` for a completed payment; never retried."""
        body = await self._call(
            "POST",
            "/api/Transactions/RefundRequest",
            idempotent=False,
            json={
                "confirmation_code": confirmation_code,
                "amount": f"{amount:f}",
                "username": username,
                "remarks": remarks,
            },
        )
        if not isinstance(body, dict):
            raise ProviderError(_PROVIDER, "invalid_response", "refund answer is not an object")
        return body

    async def cancel_order(self, order_tracking_id: str) -> Mapping[str, Any]:
        """``CancelOrder`` for an order not completed yet; never retried."""
        body = await self._call(
            "POST",
            "/api/Transactions/CancelOrder",
            idempotent=False,
            json={"order_tracking_id": order_tracking_id},
        )
        if not isinstance(body, dict):
            raise ProviderError(_PROVIDER, "invalid_response", "cancel answer is not an object")
        return body
