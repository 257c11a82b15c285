"""A fake Mollie API: a Starlette app that speaks enough of Mollie's v2 protocol for our plugin.

It keeps customers, payments, mandates and refunds in memory (one state per app), answers with
HAL bodies shaped like Mollie's own fixtures, validates amount strings as strictly as Mollie
does, honours ``Idempotency-Key`` (replays carry ``Idempotent-Replayed: true``) and posts classic
webhooks (``id=tr_...``) on request.

Payment flows:

* ``oneoff`` and ``first`` payments start ``open`` with ``_links.checkout.href`` pointing at the
  fake's own checkout page. A test "visits" it: ``GET /checkout/{id}?outcome=paid`` (or
  ``failed``, ``canceled``, ``expired``; optional ``method`` and ``mandate_status``). Paying a
  first payment creates a mandate for the customer (``valid`` unless told otherwise) and sets
  the payment's ``mandateId``; the page answers 303 to the payment's ``redirectUrl``.
* ``recurring`` payments need a customer with a ``valid`` or ``pending`` mandate; on a card
  (or PayPal) mandate they are ``paid`` at once, on a direct-debit mandate ``pending`` until a
  control call settles them.

Control endpoints (no authentication; under ``/__control``):

* ``GET /checkout/{payment_id}``: the checkout page, as above.
* ``POST /__control/payments/{id}/status`` JSON ``{"status": "paid" | "failed" | "canceled" |
  "expired" | "pending", "mandate_status": "valid"}``.
* ``POST /__control/mandates/{id}/status`` JSON ``{"status": "valid" | "pending" | "invalid"}``.
* ``POST /__control/refunds/{id}/status`` JSON ``{"status": "refunded" | "failed" | ...}``.
* ``POST /__control/payments/{id}/webhook`` JSON ``{"repeat": 1}``: POST ``id=<payment id>`` to the
  payment's ``webhookUrl`` (form-encoded, like Mollie), ``repeat`` times; answers the results.
* ``GET /__control/requests``: the API requests received so far (control calls excluded).
* ``POST /__control/reset``: forget everything (for a server shared by several tests).

:func:`create_mollie_app` builds the app; :func:`mollie_state` gives tests the state behind it.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

__all__ = [
    "FakeMollieState",
    "RecordedRequest",
    "create_mollie_app",
    "mollie_state",
]

_ALPHABET = string.ascii_letters + string.digits
_CURRENCIES = frozenset(
    "AED AUD BGN BRL CAD CHF CZK DKK EUR GBP HKD HUF ILS ISK JPY MXN MYR NOK NZD PHP PLN RON "
    "SEK SGD THB TWD USD ZAR".split()
)
_ZERO_DECIMAL = frozenset({"ISK", "JPY"})
_HAL = "application/hal+json"
_DOCS = "https://docs.mollie.com/reference/v2"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One API request as the fake received it."""

    method: str
    path: str
    headers: Mapping[str, str]
    json: Any
    body: bytes


@dataclass(slots=True)
class _Stored:
    fingerprint: tuple[str, str, bytes]
    status: int
    payload: dict[str, Any] | None


@dataclass
class FakeMollieState:
    """Everything one fake Mollie account holds. Guarded by ``lock`` (uvicorn runs in a thread)."""

    api_key: str | None
    first_mandate_status: str = "valid"
    leak_keys_in_errors: bool = False
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    mandates: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[str, _Stored] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def reset(self) -> None:
        """Forget every object, request, delivery and idempotency key."""
        with self.lock:
            for table in (
                self.customers,
                self.payments,
                self.mandates,
                self.refunds,
                self.idempotency,
            ):
                table.clear()
            self.requests.clear()
            self.deliveries.clear()


class _MollieError(Exception):
    def __init__(self, status: int, title: str, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.payload: dict[str, Any] = {
            "status": status,
            "title": title,
            "detail": detail,
            "_links": {
                "documentation": {
                    "href": "https://docs.mollie.com/overview/handling-errors",
                    "type": "text/html",
                }
            },
        }
        if field:
            self.payload["field"] = field


def _unprocessable(detail: str, field: str | None = None) -> _MollieError:
    return _MollieError(422, "Unprocessable Entity", detail, field=field)


def _not_found(kind: str, object_id: str) -> _MollieError:
    return _MollieError(404, "Not Found", f"No {kind} exists with token {object_id}.")


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _now() -> datetime:
    return datetime.now(UTC)


def _link(href: str, type_: str = _HAL) -> dict[str, str]:
    return {"href": href, "type": type_}


def _check_amount(value: object, field: str = "amount") -> dict[str, str]:
    """Validate an amount object like Mollie: known currency, exactly its decimals."""
    if not isinstance(value, Mapping):
        raise _unprocessable("The amount is required", field)
    currency = value.get("currency")
    text = value.get("value")
    if not isinstance(currency, str) or currency not in _CURRENCIES:
        raise _unprocessable("The amount contains an invalid currency", f"{field}.currency")
    decimals = 0 if currency in _ZERO_DECIMAL else 2
    pattern = r"\d+" if decimals == 0 else r"\d+\.\d{" + str(decimals) + "}"
    if not isinstance(text, str) or not re.fullmatch(pattern, text):
        raise _unprocessable(
            f"The amount contains an invalid value; {currency} needs {decimals} decimals",
            f"{field}.value",
        )
    return {"currency": currency, "value": text}


def _format(value: Decimal, currency: str) -> str:
    decimals = 0 if currency in _ZERO_DECIMAL else 2
    return f"{value.quantize(Decimal(1).scaleb(-decimals)):f}"


class _Handlers:
    """The API operations; each runs under the state lock."""

    def __init__(self, state: FakeMollieState) -> None:
        self.state = state

    # -- customers ----------------------------------------------------------------------------

    def create_customer(self, base: str, body: Mapping[str, Any]) -> dict[str, Any]:
        customer_id = _new_id("cst_")
        customer = {
            "resource": "customer",
            "id": customer_id,
            "mode": "test",
            "name": body.get("name"),
            "email": body.get("email"),
            "locale": body.get("locale"),
            "metadata": body.get("metadata"),
            "createdAt": _iso(_now()),
            "_links": {
                "self": _link(f"{base}/v2/customers/{customer_id}"),
                "documentation": _link(f"{_DOCS}/customers-api/create-customer", "text/html"),
            },
        }
        self.state.customers[customer_id] = customer
        return customer

    def get_customer(self, customer_id: str) -> dict[str, Any]:
        customer = self.state.customers.get(customer_id)
        if customer is None:
            raise _not_found("customer", customer_id)
        return customer

    # -- payments ------------------------------------------------------------------------------

    def create_payment(self, base: str, body: Mapping[str, Any]) -> dict[str, Any]:
        amount = _check_amount(body.get("amount"))
        description = body.get("description")
        if not isinstance(description, str) or not description:
            raise _unprocessable("The description is required", "description")
        sequence = body.get("sequenceType", "oneoff")
        if sequence not in ("oneoff", "first", "recurring"):
            raise _unprocessable("The sequence type is invalid", "sequenceType")
        customer_id = body.get("customerId")
        if customer_id is not None and customer_id not in self.state.customers:
            raise _unprocessable("The customer id is invalid", "customerId")
        if sequence != "recurring" and not body.get("redirectUrl"):
            raise _unprocessable("The redirect URL is required", "redirectUrl")
        if sequence == "first" and customer_id is None:
            raise _unprocessable("A first payment needs a customer", "customerId")
        mandate: dict[str, Any] | None = None
        if sequence == "recurring":
            if customer_id is None:
                raise _unprocessable("A recurring payment needs a customer", "customerId")
            mandate = self._mandate_for(str(customer_id), body.get("mandateId"))
        payment_id = _new_id("tr_")
        created = _now()
        payment: dict[str, Any] = {
            "resource": "payment",
            "id": payment_id,
            "mode": "test",
            "createdAt": _iso(created),
            "amount": amount,
            "description": description,
            "method": body.get("method"),
            "metadata": body.get("metadata"),
            "status": "open",
            "isCancelable": False,
            "expiresAt": _iso(created + timedelta(minutes=15)),
            "details": None,
            "profileId": body.get("profileId") or "pfl_QkEhN94Ba",
            "sequenceType": sequence,
            "redirectUrl": body.get("redirectUrl"),
            "webhookUrl": body.get("webhookUrl"),
            "_links": {
                "self": _link(f"{base}/v2/payments/{payment_id}"),
                "dashboard": _link(
                    f"https://my.mollie.com/dashboard/payments/{payment_id}", "text/html"
                ),
                "documentation": _link(f"{_DOCS}/payments-api/create-payment", "text/html"),
            },
        }
        if customer_id is not None:
            payment["customerId"] = customer_id
            payment["_links"]["customer"] = _link(f"{base}/v2/customers/{customer_id}")
        if mandate is not None:
            payment["mandateId"] = mandate["id"]
            payment["method"] = mandate["method"]
            payment["_links"]["mandate"] = _link(
                f"{base}/v2/customers/{customer_id}/mandates/{mandate['id']}"
            )
            self._set_status(
                payment, "pending" if mandate["method"] == "directdebit" else "paid", base
            )
        else:
            payment["_links"]["checkout"] = _link(f"{base}/checkout/{payment_id}", "text/html")
        self.state.payments[payment_id] = payment
        return payment

    def _mandate_for(self, customer_id: str, mandate_id: object) -> dict[str, Any]:
        if mandate_id is not None:
            mandate = self.state.mandates.get(str(mandate_id))
            if mandate is None or mandate["_customer"] != customer_id:
                raise _unprocessable("The mandate id is invalid", "mandateId")
            if mandate["status"] not in ("valid", "pending"):
                raise _unprocessable("The mandate is not valid", "mandateId")
            return mandate
        usable = [
            mandate
            for mandate in self.state.mandates.values()
            if mandate["_customer"] == customer_id and mandate["status"] in ("valid", "pending")
        ]
        if not usable:
            raise _unprocessable("The customer has no valid mandate", "customerId")
        return usable[-1]

    def get_payment(self, payment_id: str) -> dict[str, Any]:
        payment = self.state.payments.get(payment_id)
        if payment is None:
            raise _not_found("payment", payment_id)
        return payment

    def _set_status(
        self,
        payment: dict[str, Any],
        status: str,
        base: str,
        *,
        method: str | None = None,
        mandate_status: str | None = None,
    ) -> None:
        payment["status"] = status
        payment["_links"].pop("checkout", None)
        if status == "open":
            return
        if method and not payment.get("method"):
            payment["method"] = method
        if status == "paid":
            payment["paidAt"] = _iso(_now())
            amount = payment["amount"]
            if "amountRefunded" not in payment:
                zero = _format(Decimal(0), amount["currency"])
                payment["amountRefunded"] = {"currency": amount["currency"], "value": zero}
                payment["amountRemaining"] = dict(amount)
            if payment["sequenceType"] == "first" and not payment.get("mandateId"):
                self._create_mandate(payment, base, mandate_status)
        elif status in ("failed", "canceled", "expired"):
            payment[f"{status}At"] = _iso(_now())
            if status == "failed":
                payment["details"] = {
                    "failureReason": "card_declined",
                    "failureMessage": "The card was declined.",
                }

    def _create_mandate(
        self, payment: dict[str, Any], base: str, mandate_status: str | None
    ) -> None:
        customer_id = payment["customerId"]
        paid_with = payment.get("method") or "creditcard"
        mandate_id = _new_id("mdt_")
        if paid_with == "creditcard":
            method = "creditcard"
            details: dict[str, Any] = {
                "cardHolder": "T. TEST",
                "cardNumber": "6787",
                "cardLabel": "Mastercard",
                "cardFingerprint": secrets.token_hex(8),
                "cardExpiryDate": "2029-12-31",
            }
            payment["details"] = {"cardNumber": "6787", "cardLabel": "Mastercard"}
        elif paid_with == "paypal":
            method = "paypal"
            details = {"consumerName": "T. Test", "consumerAccount": "payer@example.org"}
        else:
            method = "directdebit"
            details = {
                "consumerName": "T. Test",
                "consumerAccount": "NL55INGB0000000000",
                "consumerBic": "INGBNL2A",
            }
            payment["details"] = {"consumerAccount": "NL55INGB0000000000"}
        mandate = {
            "resource": "mandate",
            "id": mandate_id,
            "status": mandate_status or self.state.first_mandate_status,
            "method": method,
            "details": details,
            "mandateReference": f"FAKE-MD{len(self.state.mandates) + 1:04d}",
            "signatureDate": _now().date().isoformat(),
            "createdAt": _iso(_now()),
            "_customer": customer_id,
            "_links": {
                "self": _link(f"{base}/v2/customers/{customer_id}/mandates/{mandate_id}"),
                "customer": _link(f"{base}/v2/customers/{customer_id}"),
                "documentation": _link(f"{_DOCS}/mandates-api/get-mandate", "text/html"),
            },
        }
        self.state.mandates[mandate_id] = mandate
        payment["mandateId"] = mandate_id
        payment["_links"]["mandate"] = mandate["_links"]["self"]

    def set_payment_status(
        self,
        payment_id: str,
        status: str,
        base: str,
        *,
        method: str | None = None,
        mandate_status: str | None = None,
    ) -> dict[str, Any]:
        payment = self.get_payment(payment_id)
        if status not in ("open", "pending", "authorized", "paid", "failed", "canceled", "expired"):
            raise _unprocessable(f"unknown status {status}", "status")
        self._set_status(payment, status, base, method=method, mandate_status=mandate_status)
        return payment

    # -- mandates --------------------------------------------------------------------------------

    def get_mandate(self, customer_id: str, mandate_id: str) -> dict[str, Any]:
        mandate = self.state.mandates.get(mandate_id)
        if mandate is None or mandate["_customer"] != customer_id:
            raise _not_found("mandate", mandate_id)
        if mandate.get("_revoked"):
            raise _MollieError(410, "Gone", "The mandate has been revoked")
        return mandate

    def list_mandates(self, base: str, customer_id: str) -> dict[str, Any]:
        self.get_customer(customer_id)
        mandates = [
            _public(mandate)
            for mandate in self.state.mandates.values()
            if mandate["_customer"] == customer_id and not mandate.get("_revoked")
        ]
        return {
            "_embedded": {"mandates": mandates},
            "count": len(mandates),
            "_links": {
                "self": _link(f"{base}/v2/customers/{customer_id}/mandates?limit=50"),
                "previous": None,
                "next": None,
                "documentation": _link(f"{_DOCS}/mandates-api/list-mandates", "text/html"),
            },
        }

    def revoke_mandate(self, customer_id: str, mandate_id: str) -> None:
        mandate = self.get_mandate(customer_id, mandate_id)
        mandate["status"] = "invalid"
        mandate["_revoked"] = True

    def set_mandate_status(self, mandate_id: str, status: str) -> dict[str, Any]:
        mandate = self.state.mandates.get(mandate_id)
        if mandate is None:
            raise _not_found("mandate", mandate_id)
        if status not in ("valid", "pending", "invalid"):
            raise _unprocessable(f"unknown status {status}", "status")
        mandate["status"] = status
        return mandate

    # -- refunds --------------------------------------------------------------------------------

    def create_refund(self, base: str, payment_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        payment = self.get_payment(payment_id)
        if payment["status"] != "paid":
            raise _unprocessable("The payment has not been paid and cannot be refunded")
        amount = _check_amount(body.get("amount"))
        if amount["currency"] != payment["amount"]["currency"]:
            raise _unprocessable("The refund currency differs from the payment", "amount.currency")
        remaining = Decimal(payment["amountRemaining"]["value"])
        value = Decimal(amount["value"])
        if value <= 0 or value > remaining:
            raise _unprocessable(
                "The amount is higher than the amount that can be refunded", "amount"
            )
        refund_id = _new_id("re_")
        refund = {
            "resource": "refund",
            "id": refund_id,
            "amount": amount,
            "status": "pending",
            "createdAt": _iso(_now()),
            "description": body.get("description", ""),
            "metadata": body.get("metadata"),
            "paymentId": payment_id,
            "_links": {
                "self": _link(f"{base}/v2/payments/{payment_id}/refunds/{refund_id}"),
                "payment": _link(f"{base}/v2/payments/{payment_id}"),
                "documentation": _link(f"{_DOCS}/refunds-api/get-refund", "text/html"),
            },
        }
        self.state.refunds[refund_id] = refund
        currency = amount["currency"]
        refunded = Decimal(payment["amountRefunded"]["value"]) + value
        payment["amountRefunded"] = {"currency": currency, "value": _format(refunded, currency)}
        payment["amountRemaining"] = {
            "currency": currency,
            "value": _format(remaining - value, currency),
        }
        payment["_links"]["refunds"] = _link(f"{base}/v2/payments/{payment_id}/refunds")
        return refund

    def get_refund(self, payment_id: str, refund_id: str) -> dict[str, Any]:
        refund = self.state.refunds.get(refund_id)
        if refund is None or refund["paymentId"] != payment_id:
            raise _not_found("refund", refund_id)
        return refund

    def list_refunds(self, base: str, payment_id: str) -> dict[str, Any]:
        self.get_payment(payment_id)
        refunds = [r for r in self.state.refunds.values() if r["paymentId"] == payment_id]
        return {
            "_embedded": {"refunds": refunds},
            "count": len(refunds),
            "_links": {
                "self": _link(f"{base}/v2/payments/{payment_id}/refunds?limit=50"),
                "previous": None,
                "next": None,
                "documentation": _link(f"{_DOCS}/refunds-api/list-refunds", "text/html"),
            },
        }

    def set_refund_status(self, refund_id: str, status: str) -> dict[str, Any]:
        refund = self.state.refunds.get(refund_id)
        if refund is None:
            raise _not_found("refund", refund_id)
        refund["status"] = status
        if status in ("failed", "canceled"):
            payment = self.state.payments[refund["paymentId"]]
            currency = refund["amount"]["currency"]
            value = Decimal(refund["amount"]["value"])
            refunded = Decimal(payment["amountRefunded"]["value"]) - value
            remaining = Decimal(payment["amountRemaining"]["value"]) + value
            payment["amountRefunded"]["value"] = _format(refunded, currency)
            payment["amountRemaining"]["value"] = _format(remaining, currency)
        return refund


def _public(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The resource as the API shows it (bookkeeping keys start with an underscore)."""
    return {
        key: copy.deepcopy(value)
        for key, value in resource.items()
        if not key.startswith("_") or key in ("_links", "_embedded")
    }


def mollie_state(app: Starlette) -> FakeMollieState:
    """The in-memory state behind an app made by :func:`create_mollie_app`."""
    state: FakeMollieState = app.state.fake
    return state


def create_mollie_app(
    *,
    api_key: str | None = "test_fake",
    first_mandate_status: str = "valid",
    leak_keys_in_errors: bool = False,
) -> Starlette:
    """A fake Mollie API with its own empty state.

    Args:
        api_key: the key requests must present as ``Authorization: Bearer``; ``None`` accepts
            any.
        first_mandate_status: status of the mandate a paid first payment creates.
        leak_keys_in_errors: echo a wrong key in the 401 detail, so tests can check that our
            errors redact what a provider echoes.
    """
    state = FakeMollieState(
        api_key=api_key,
        first_mandate_status=first_mandate_status,
        leak_keys_in_errors=leak_keys_in_errors,
    )
    handlers = _Handlers(state)

    Operation = Callable[[Request, str, Any], tuple[int, dict[str, Any] | None]]

    def api(operation: Operation) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            body: Any = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return _error(_MollieError(400, "Bad Request", "The body is not valid JSON"))
            base = str(request.base_url).rstrip("/")
            key = request.headers.get("idempotency-key")
            with state.lock:
                state.requests.append(
                    RecordedRequest(
                        method=request.method,
                        path=request.url.path,
                        headers=dict(request.headers),
                        json=body,
                        body=raw,
                    )
                )
                denied = _check_auth(state, request)
                if denied is not None:
                    return denied
                fingerprint = (request.method, request.url.path, raw)
                if request.method == "POST" and key:
                    stored = state.idempotency.get(key)
                    if stored is not None:
                        if stored.fingerprint != fingerprint:
                            return _error(
                                _MollieError(
                                    400,
                                    "Bad Request",
                                    "The Idempotency-Key was already used with a different "
                                    "request.",
                                )
                            )
                        return _json(stored.status, stored.payload, replayed=True)
                try:
                    status, payload = operation(request, base, body or {})
                except _MollieError as exc:
                    return _error(exc)
                payload = _public(payload) if payload is not None else None
                if request.method == "POST" and key:
                    state.idempotency[key] = _Stored(fingerprint, status, payload)
                return _json(status, payload)

        return endpoint

    def ok(value: dict[str, Any], status: int = 200) -> tuple[int, dict[str, Any] | None]:
        return status, value

    def p(request: Request, name: str) -> str:
        return str(request.path_params[name])

    def revoke(request: Request) -> tuple[int, dict[str, Any] | None]:
        handlers.revoke_mandate(p(request, "customer"), p(request, "mandate"))
        return 204, None

    routes = [
        Route(
            "/v2/customers",
            api(lambda r, b, body: ok(handlers.create_customer(b, body), 201)),
            methods=["POST"],
        ),
        Route(
            "/v2/customers/{id}",
            api(lambda r, b, body: ok(handlers.get_customer(p(r, "id")))),
            methods=["GET"],
        ),
        Route(
            "/v2/customers/{customer}/mandates",
            api(lambda r, b, body: ok(handlers.list_mandates(b, p(r, "customer")))),
            methods=["GET"],
        ),
        Route(
            "/v2/customers/{customer}/mandates/{mandate}",
            api(lambda r, b, body: ok(handlers.get_mandate(p(r, "customer"), p(r, "mandate")))),
            methods=["GET"],
        ),
        Route(
            "/v2/customers/{customer}/mandates/{mandate}",
            api(lambda r, b, body: revoke(r)),
            methods=["DELETE"],
        ),
        Route(
            "/v2/payments",
            api(lambda r, b, body: ok(handlers.create_payment(b, body), 201)),
            methods=["POST"],
        ),
        Route(
            "/v2/payments/{id}",
            api(lambda r, b, body: ok(handlers.get_payment(p(r, "id")))),
            methods=["GET"],
        ),
        Route(
            "/v2/payments/{id}/refunds",
            api(lambda r, b, body: ok(handlers.create_refund(b, p(r, "id"), body), 201)),
            methods=["POST"],
        ),
        Route(
            "/v2/payments/{id}/refunds",
            api(lambda r, b, body: ok(handlers.list_refunds(b, p(r, "id")))),
            methods=["GET"],
        ),
        Route(
            "/v2/payments/{id}/refunds/{refund}",
            api(lambda r, b, body: ok(handlers.get_refund(p(r, "id"), p(r, "refund")))),
            methods=["GET"],
        ),
    ]

    async def checkout(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        query = request.query_params
        with state.lock:
            try:
                payment = handlers.get_payment(p(request, "id"))
                if payment["status"] != "open":
                    return JSONResponse({"detail": "The payment is no longer open"}, 410)
                handlers.set_payment_status(
                    payment["id"],
                    query.get("outcome", "paid"),
                    base,
                    method=query.get("method"),
                    mandate_status=query.get("mandate_status"),
                )
            except _MollieError as exc:
                return _error(exc)
            target = payment.get("redirectUrl")
        if isinstance(target, str):
            return RedirectResponse(target, status_code=303)
        return Response(status_code=204)

    def control(
        change: Callable[[Request, str, dict[str, Any]], dict[str, Any]],
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = await _json_body(request)
            base = str(request.base_url).rstrip("/")
            with state.lock:
                try:
                    result = change(request, base, body)
                except _MollieError as exc:
                    return _error(exc)
                return JSONResponse(_public(result))

        return endpoint

    async def send_webhook(request: Request) -> Response:
        body = await _json_body(request)
        with state.lock:
            try:
                payment = handlers.get_payment(p(request, "id"))
            except _MollieError as exc:
                return _error(exc)
            url = payment.get("webhookUrl")
            payment_id = payment["id"]
        if not isinstance(url, str) or not url:
            return JSONResponse({"detail": "The payment has no webhookUrl"}, 422)
        results: list[dict[str, Any]] = []
        async with httpx.AsyncClient(timeout=15.0) as client:
            for _ in range(int(body.get("repeat", 1))):
                result: dict[str, Any] = {"payment_id": payment_id}
                try:
                    answer = await client.post(
                        url,
                        content=f"id={payment_id}".encode(),
                        headers={
                            "Content-Type": "application/x-www-form-urlencoded",
                            "User-Agent": "Mollie HTTP client/1.0",
                        },
                    )
                    result["status_code"] = answer.status_code
                except httpx.HTTPError as exc:
                    result["error"] = type(exc).__name__
                results.append(result)
        with state.lock:
            state.deliveries.extend(results)
        return JSONResponse({"deliveries": results})

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    async def recorded(request: Request) -> Response:
        with state.lock:
            data = [
                {"method": item.method, "path": item.path, "json": item.json}
                for item in state.requests
            ]
        return JSONResponse({"requests": data})

    routes += [
        Route("/checkout/{id}", checkout, methods=["GET"]),
        Route(
            "/__control/payments/{id}/status",
            control(
                lambda r, b, body: handlers.set_payment_status(
                    p(r, "id"),
                    str(body.get("status", "paid")),
                    b,
                    method=_opt_str(body.get("method")),
                    mandate_status=_opt_str(body.get("mandate_status")),
                )
            ),
            methods=["POST"],
        ),
        Route(
            "/__control/mandates/{id}/status",
            control(
                lambda r, b, body: handlers.set_mandate_status(
                    p(r, "id"), str(body.get("status", "valid"))
                )
            ),
            methods=["POST"],
        ),
        Route(
            "/__control/refunds/{id}/status",
            control(
                lambda r, b, body: handlers.set_refund_status(
                    p(r, "id"), str(body.get("status", "refunded"))
                )
            ),
            methods=["POST"],
        ),
        Route("/__control/payments/{id}/webhook", send_webhook, methods=["POST"]),
        Route("/__control/requests", recorded, methods=["GET"]),
        Route("/__control/reset", reset, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.fake = state
    return app


def _check_auth(state: FakeMollieState, request: Request) -> Response | None:
    if state.api_key is None:
        return None
    header = request.headers.get("authorization", "")
    if header == f"Bearer {state.api_key}":
        return None
    detail = "Missing authentication, or failed to authenticate"
    if state.leak_keys_in_errors:
        detail += f" with key {header.removeprefix('Bearer ').strip()}"
    return _error(_MollieError(401, "Unauthorized Request", detail))


def _error(error: _MollieError) -> Response:
    return JSONResponse(error.payload, error.status, media_type=_HAL)


def _json(status: int, payload: dict[str, Any] | None, *, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    if payload is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(payload, status, headers=headers, media_type=_HAL)


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
