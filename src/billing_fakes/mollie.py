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

Plus the control endpoints every fake answers (:mod:`billing_fakes.base`): ``requests``,
``deliveries``, ``faults``, ``settings`` (``api_key``, ``first_mandate_status``,
``leak_keys_in_errors``) and ``reset`` (every object, request, delivery and idempotency key).

:func:`create_mollie_app` builds the app; :func:`mollie_state` gives tests the state behind it.
"""

from __future__ import annotations

import copy
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from billing_fakes.base import (
    Answer,
    FakeError,
    FakeProvider,
    Handler,
    Outgoing,
    bearer_token,
    control_json,
    text_or_none,
)
from billing_fakes.server import ReceivedRequest

__all__ = [
    "FakeMollieState",
    "MollieFakeSettings",
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


@dataclass(slots=True)
class MollieFakeSettings:
    """The key the fake accepts and its tunables."""

    api_key: str | None = "test_fake"  # None: any key is accepted
    first_mandate_status: str = "valid"  # of the mandate a paid first payment creates
    leak_keys_in_errors: bool = False  # echo a wrong key in the 401 detail


Operation = Callable[[Request, str, Any], dict[str, Any] | None]
"""An API operation: the request, the fake's base URL and the JSON body to the object answered
(``None``: no body)."""


class _MollieError(FakeError):
    def __init__(self, status: int, title: str, detail: str, *, field: str | None = None) -> None:
        body: dict[str, Any] = {
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
            body["field"] = field
        super().__init__(status, body, media_type=_HAL)


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


def _page(kind: str, items: list[dict[str, Any]], href: str) -> dict[str, Any]:
    """A one-page HAL list of ``kind`` (``mandates``, ``refunds``) found at ``href``."""
    return {
        "_embedded": {kind: items},
        "count": len(items),
        "_links": {
            "self": _link(f"{href}?limit=50"),
            "previous": None,
            "next": None,
            "documentation": _link(f"{_DOCS}/{kind}-api/list-{kind}", "text/html"),
        },
    }


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
            "status": mandate_status or self.state.settings.first_mandate_status,
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
        return _page("mandates", mandates, f"{base}/v2/customers/{customer_id}/mandates")

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
        return _page("refunds", refunds, f"{base}/v2/payments/{payment_id}/refunds")

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


class FakeMollieState(FakeProvider):
    """Everything one fake Mollie account holds, and its routes; ``app`` is the application."""

    settable = ("api_key", "first_mandate_status", "leak_keys_in_errors")

    def __init__(self, settings: MollieFakeSettings) -> None:
        super().__init__()
        self.settings = settings
        self.customers: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.mandates: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.app = self.build_app(_routes(self, _Handlers(self)))

    def fault_body(self, status: int) -> Any:
        return _MollieError(status, "Internal Server Error", "An unexpected error occurred").body

    def authenticate(self, request: Request) -> Response | None:
        expected = self.settings.api_key
        given = bearer_token(request)
        if expected is None or given == expected:
            return None
        detail = "Missing authentication, or failed to authenticate"
        if self.settings.leak_keys_in_errors:
            detail += f" with key {given}"
        return _MollieError(401, "Unauthorized Request", detail).response()

    def forget(self) -> None:
        for table in (self.customers, self.payments, self.mandates, self.refunds):
            table.clear()

    def operation(self, run: Operation, status: int) -> Handler:
        """An API handler: the JSON body, then ``run`` once per idempotency key (Mollie keeps
        no error), its object answered with ``status``."""

        async def handle(request: Request, received: ReceivedRequest) -> Response:
            body = received.json
            if received.body and body is None:
                raise _MollieError(400, "Bad Request", "The body is not valid JSON")
            base = str(request.base_url).rstrip("/")
            return self.once(
                received,
                received.body,
                lambda key: _answer(status, run(request, base, body or {})),
                reused=lambda key: _MollieError(
                    400,
                    "Bad Request",
                    "The Idempotency-Key was already used with a different request.",
                ),
            )

        return handle


def _answer(status: int, resource: dict[str, Any] | None) -> Answer:
    return Answer(status, _public(resource) if resource is not None else None, _HAL)


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
    settings = MollieFakeSettings(
        api_key=api_key,
        first_mandate_status=first_mandate_status,
        leak_keys_in_errors=leak_keys_in_errors,
    )
    return FakeMollieState(settings).app


def _routes(fake: FakeMollieState, ops: _Handlers) -> list[Route]:
    def p(request: Request, name: str = "id") -> str:
        return str(request.path_params[name])

    async def checkout(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        query = request.query_params
        with fake.lock:
            try:
                payment = ops.get_payment(p(request))
                if payment["status"] != "open":
                    return JSONResponse({"detail": "The payment is no longer open"}, 410)
                ops.set_payment_status(
                    payment["id"],
                    query.get("outcome", "paid"),
                    base,
                    method=query.get("method"),
                    mandate_status=query.get("mandate_status"),
                )
            except _MollieError as exc:
                return exc.response()
            target = payment.get("redirectUrl")
        if isinstance(target, str):
            return RedirectResponse(target, status_code=303)
        return Response(status_code=204)

    async def send_webhook(request: Request) -> Response:
        body = await control_json(request)
        with fake.lock:
            try:
                payment = ops.get_payment(p(request))
            except _MollieError as exc:
                return exc.response()
            url = payment.get("webhookUrl")
            payment_id = payment["id"]
        if not isinstance(url, str) or not url:
            return JSONResponse({"detail": "The payment has no webhookUrl"}, 422)
        sent = Outgoing(
            url,
            "webhook",
            content=f"id={payment_id}".encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "Mollie HTTP client/1.0",
            },
            note={"payment_id": payment_id},
        )
        repeat = int(body.get("repeat", 1))
        return JSONResponse({"deliveries": await fake.send([sent] * repeat, timeout_s=15.0)})

    def control(path: str, change: Callable[[Request, str, dict[str, Any]], Any]) -> Route:
        return fake.command(
            path, lambda r, body: _public(change(r, str(r.base_url).rstrip("/"), body))
        )

    api: list[tuple[str, str, int, Operation]] = [
        ("POST", "/v2/customers", 201, lambda r, b, body: ops.create_customer(b, body)),
        ("GET", "/v2/customers/{id}", 200, lambda r, b, body: ops.get_customer(p(r))),
        (
            "GET",
            "/v2/customers/{customer}/mandates",
            200,
            lambda r, b, body: ops.list_mandates(b, p(r, "customer")),
        ),
        (
            "GET",
            "/v2/customers/{customer}/mandates/{mandate}",
            200,
            lambda r, b, body: ops.get_mandate(p(r, "customer"), p(r, "mandate")),
        ),
        (
            "DELETE",
            "/v2/customers/{customer}/mandates/{mandate}",
            204,
            lambda r, b, body: ops.revoke_mandate(p(r, "customer"), p(r, "mandate")),
        ),
        ("POST", "/v2/payments", 201, lambda r, b, body: ops.create_payment(b, body)),
        ("GET", "/v2/payments/{id}", 200, lambda r, b, body: ops.get_payment(p(r))),
        (
            "POST",
            "/v2/payments/{id}/refunds",
            201,
            lambda r, b, body: ops.create_refund(b, p(r), body),
        ),
        ("GET", "/v2/payments/{id}/refunds", 200, lambda r, b, body: ops.list_refunds(b, p(r))),
        (
            "GET",
            "/v2/payments/{id}/refunds/{refund}",
            200,
            lambda r, b, body: ops.get_refund(p(r), p(r, "refund")),
        ),
    ]
    return [
        *(
            fake.api(url, fake.operation(run, status), methods=[verb])
            for verb, url, status, run in api
        ),
        Route("/checkout/{id}", checkout, methods=["GET"]),
        control(
            "/payments/{id}/status",
            lambda r, b, body: ops.set_payment_status(
                p(r),
                str(body.get("status", "paid")),
                b,
                method=text_or_none(body.get("method")),
                mandate_status=text_or_none(body.get("mandate_status")),
            ),
        ),
        control(
            "/mandates/{id}/status",
            lambda r, b, body: ops.set_mandate_status(p(r), str(body.get("status", "valid"))),
        ),
        control(
            "/refunds/{id}/status",
            lambda r, b, body: ops.set_refund_status(p(r), str(body.get("status", "refunded"))),
        ),
        Route("/__control/payments/{id}/webhook", send_webhook, methods=["POST"]),
    ]
