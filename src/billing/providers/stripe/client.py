"""A thin Stripe REST client: form-encoded requests, JSON answers, typed errors.

Requests are ``application/x-www-form-urlencoded`` with Stripe's bracket notation
(``metadata[invoice_id]=inv_1``, ``payment_method_types[]=card``). Every POST carries an
``Idempotency-Key`` so that a retry after a lost answer replays the first result instead of
charging twice (https://docs.stripe.com/api/idempotent_requests).

GETs go through the shared :func:`billing.providers.http.send` (retried, since reading cannot
move money). ``send`` only sends JSON bodies, so POSTs use the small form sender below, which maps
errors exactly like ``send`` does and is never retried here: the caller repeats the call with
the same key when it wants to.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from billing.providers.base import ProviderError, ProviderKey, ProviderUnavailableError
from billing.providers.http import ProviderHTTPError, json_object, redact, send
from billing.providers.stripe.config import StripeConfig

# Stripe masks keys it echoes ("sk_test_****1234"), but we never rely on the other side for that.
_KEY_PATTERN = re.compile(r"\b(sk|rk|pk|whsec)_[A-Za-z0-9_*]+")

FormValue = str | int | bool | Decimal | None | Mapping[str, Any] | Sequence[Any]


class StripeAPIError(ProviderHTTPError):
    """Stripe refused a request (4xx). Carries the fields of Stripe's ``error`` object.

    ``code`` is Stripe's ``error.code`` (``card_declined``, ``authentication_required``,
    ``resource_missing``) or, when absent, its ``error.type`` (``idempotency_error``);
    ``stripe_message`` is Stripe's own text, fit to show to the payer.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status_code: int,
        error_type: str | None = None,
        decline_code: str | None = None,
        param: str | None = None,
        payment_intent: Mapping[str, Any] | None = None,
        stripe_message: str | None = None,
    ) -> None:
        super().__init__(ProviderKey.STRIPE, code, message, status_code=status_code)
        self.stripe_message = stripe_message
        self.error_type = error_type
        self.decline_code = decline_code
        self.param = param
        self.payment_intent = payment_intent


def encode_form(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested parameters into Stripe's bracket notation; ``None`` values are dropped.

    ``{"metadata": {"a": "1"}, "payment_method_types": ["card"], "confirm": True}`` becomes
    ``metadata[a]=1``, ``payment_method_types[]=card``, ``confirm=true``.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            pairs.extend(encode_form(value, name))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    pairs.extend(encode_form(item, f"{name}[{index}]"))
                else:
                    pairs.append((f"{name}[]", _scalar(item)))
        else:
            pairs.append((name, _scalar(value)))
    return pairs


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class StripeClient:
    """Calls Stripe with the operator's secret key over the shared ``httpx.AsyncClient``."""

    def __init__(self, config: StripeConfig, http: httpx.AsyncClient) -> None:
        self._config = config
        self._http = http
        self._secret = config.secret_key.get_secret_value()

    def _headers(self) -> dict[str, str]:
        if not self._secret:
            raise ProviderError(
                ProviderKey.STRIPE,
                "provider_not_configured",
                "BILLING_STRIPE_SECRET_KEY is not set",
            )
        headers = {"Authorization": f"Bearer {self._secret}"}
        if self._config.api_version:
            headers["Stripe-Version"] = self._config.api_version
        return headers

    def _url(self, path: str) -> str:
        return f"{self._config.api_base}{path}"

    def _redact(self, text: str) -> str:
        return _KEY_PATTERN.sub(r"\1_***", redact(text, [self._secret]))

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """GET ``path`` (``/v1/...``) and return the JSON object; retried on transport errors."""
        response = await send(
            self._http,
            ProviderKey.STRIPE,
            "GET",
            self._url(path),
            idempotent=True,
            params=params,
            headers=self._headers(),
            secrets=[self._secret],
            passthrough=lambda r: r.is_client_error,
        )
        return self._result(response, f"GET {path}")

    async def post(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """POST form-encoded ``params`` to ``path`` with an ``Idempotency-Key``.

        Without a key (calls that are harmless to repeat, such as a detach) a random one is
        used, so that a transport-level resend by a proxy is still deduplicated by Stripe.
        """
        where = f"POST {path}"
        headers = self._headers()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        body = urlencode(encode_form(params or {}), quote_via=quote).encode()
        try:
            response = await self._http.post(self._url(path), content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise ProviderUnavailableError(
                ProviderKey.STRIPE,
                "timeout",
                self._redact(f"{where}: timed out ({type(exc).__name__})"),
                timeout=True,
            ) from None
        except httpx.TransportError as exc:
            # ``from None``: the chained httpx exception holds the request and its headers.
            raise ProviderUnavailableError(
                ProviderKey.STRIPE,
                "transport_error",
                self._redact(f"{where}: {type(exc).__name__}: {exc}"),
            ) from None
        return self._result(response, where)

    def _result(self, response: httpx.Response, where: str) -> dict[str, Any]:
        body = json_object(response)
        if response.status_code >= 500:
            code, message = _error_fields(body)
            raise ProviderUnavailableError(
                ProviderKey.STRIPE,
                self._redact(code or "server_error"),
                self._redact(f"{where} -> {response.status_code}: {message or 'server error'}"),
            )
        if response.is_client_error:
            raise self._api_error(response.status_code, body, where)
        if body is None:
            raise ProviderError(
                ProviderKey.STRIPE, "invalid_response", f"{where}: answer is not a JSON object"
            )
        return body

    def _api_error(
        self, status_code: int, body: Mapping[str, Any] | None, where: str
    ) -> StripeAPIError:
        error = body.get("error") if body else None
        if not isinstance(error, Mapping):
            error = {}
        code, message = _error_fields(body)
        payment_intent = error.get("payment_intent")
        return StripeAPIError(
            self._redact(code or f"http_{status_code}"),
            self._redact(f"{where} -> {status_code}: {message or 'request refused'}"),
            status_code=status_code,
            error_type=_opt_str(error.get("type")),
            decline_code=_opt_str(error.get("decline_code")),
            param=_opt_str(error.get("param")),
            payment_intent=payment_intent if isinstance(payment_intent, Mapping) else None,
            stripe_message=self._redact(message) if message else None,
        )


def _error_fields(body: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    error = body.get("error") if body else None
    if not isinstance(error, Mapping):
        return None, None
    code = error.get("code") or error.get("type")
    return _opt_str(code), _opt_str(error.get("message"))


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
