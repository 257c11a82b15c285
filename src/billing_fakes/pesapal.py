"""A fake Pesapal API 3.0: tokens, IPN registration, orders, a hosted page, status, refunds.

Answers follow the shapes of providers.md section 5, including the quirks plugins must cope
with: five-minute tokens (shorter on request) and 401 once expired, errors reported in the body
under HTTP 200 (bad credentials, unknown tracking id), an ``error`` object with null fields on
success, and ``INVALID`` for orders not paid yet.

``SubmitOrderRequest`` returns a ``redirect_url`` on the fake itself (``/pesapaliframe/{id}``):
a small page whose links "pay" the order with a chosen outcome, send the IPN, and redirect the
browser to the order's ``callback_url`` with ``OrderTrackingId``/``OrderMerchantReference``.

Control endpoints (all under ``/__control``):

- ``POST /__control/orders/{id}/outcome``: ``{"outcome": "completed" | "failed" | "reversed" |
  "pending" | "cancelled", "payment_method"?, "confirmation_code"?}``.
- ``POST /__control/orders/{id}/ipn``: send the IPN to the order's registered URL with its
  registered method, or ``method`` (GET/POST), ``deliveries`` times, as ``notification_type``
  (default IPNCHANGE); answers with the deliveries once sent.
- ``GET /__control/orders``, ``/__control/ipns``, ``/__control/refunds``: what the fake holds.

Plus the control endpoints every fake answers (:mod:`billing_fakes.base`): ``requests``,
``deliveries``, ``faults``, ``expire-tokens`` (every issued token then answers 401),
``settings`` (``token_ttl_ms``, ``auto_ipn``, ``leak_credentials_in_errors``,
``payment_method``) and ``reset`` (everything but the settings).

State is in memory per app instance; run it with :class:`billing_fakes.server.FakeServer`.
"""

from __future__ import annotations

import html
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from billing_fakes.base import FakeError, FakeProvider, Outgoing, control_json
from billing_fakes.server import ReceivedRequest

__all__ = ["OUTCOMES", "PesapalFake", "PesapalFakeSettings", "PesapalOrder", "create_pesapal_app"]

OUTCOMES = ("pending", "completed", "failed", "reversed", "cancelled")

# outcome -> (status_code, payment_status_description)
_STATUS: dict[str, tuple[int, str]] = {
    "pending": (0, "INVALID"),
    "completed": (1, "Completed"),
    "failed": (2, "Failed"),
    "reversed": (3, "Reversed"),
    # Not documented: a cancelled order is assumed to keep code 0 with its own description.
    "cancelled": (0, "Cancelled"),
}
_NULL_ERROR = {"error_type": None, "code": None, "message": None, "call_back_url": None}


@dataclass(slots=True)
class PesapalFakeSettings:
    """Credentials the fake accepts and its tunables."""

    consumer_key: str = "fake-pesapal-consumer-key"
    consumer_secret: str = "fake-pesapal-consumer-secret"
    token_ttl_ms: int = 300_000
    currencies: frozenset[str] = frozenset({"KES", "UGX", "TZS", "RWF", "USD"})
    auto_ipn: bool = True  # the hosted page sends the IPN when the payer "pays"
    payment_method: str = "MPESA"
    ipn_timeout_s: float = 5.0
    leak_credentials_in_errors: bool = False  # echo received secrets, to test client redaction


@dataclass(slots=True)
class PesapalOrder:
    """One submitted order and its scripted state."""

    order_tracking_id: str
    merchant_reference: str
    amount: Decimal
    currency: str
    description: str
    callback_url: str
    notification_id: str
    billing_address: dict[str, Any]
    cancellation_url: str | None = None
    outcome: str = "pending"
    confirmation_code: str = ""
    payment_method: str = ""
    created_date: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    )
    refunded: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON view for the control API."""
        data = asdict(self)
        data["amount"] = str(self.amount)
        return data


def _error_body(status: str, code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "error": {
            "error_type": "api_error",
            "code": code,
            "message": message,
            "call_back_url": None,
        },
        "status": status,
        "message": message,
    }


def _refusal(code: str, message: str, *, http_status: int = 200, **extra: Any) -> FakeError:
    """A Pesapal error; most come in the body of an HTTP 200 answer with ``status: "500"``."""
    status = "500" if http_status == 200 else str(http_status)
    return FakeError(http_status, _error_body(status, code, message, **extra))


def _object(received: ReceivedRequest) -> dict[str, Any]:
    """The request's JSON object body, or ``{}`` (Pesapal then reports the missing fields)."""
    data = received.json
    return data if isinstance(data, dict) else {}


def _iso(moment: datetime) -> str:
    # Pesapal prints seven fractional digits and a Z.
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))


class PesapalFake(FakeProvider):
    """State and routes of one fake Pesapal instance; ``app`` is the Starlette application."""

    issues_tokens = True
    settable = ("token_ttl_ms", "auto_ipn", "leak_credentials_in_errors", "payment_method")

    def __init__(self, settings: PesapalFakeSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or PesapalFakeSettings()
        self.ipns: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, PesapalOrder] = {}
        self.refunds: list[dict[str, Any]] = []
        get, post = ["GET"], ["POST"]
        self.app = self.build_app(
            [
                self.api(
                    "/api/Auth/RequestToken", self.request_token, methods=post, authenticated=False
                ),
                self.api("/api/URLSetup/RegisterIPN", self.register_ipn, methods=post),
                self.api("/api/URLSetup/GetIpnList", self.get_ipn_list, methods=get),
                self.api("/api/Transactions/SubmitOrderRequest", self.submit_order, methods=post),
                self.api(
                    "/api/Transactions/GetTransactionStatus", self.transaction_status, methods=get
                ),
                self.api("/api/Transactions/RefundRequest", self.refund_request, methods=post),
                self.api("/api/Transactions/CancelOrder", self.cancel_order, methods=post),
                Route("/pesapaliframe/{tracking_id}", self.hosted_page, methods=get),
                Route("/pesapaliframe/{tracking_id}/pay", self.hosted_pay, methods=["GET", "POST"]),
                Route(
                    "/__control/orders/{tracking_id}/outcome", self.control_outcome, methods=post
                ),
                Route("/__control/orders/{tracking_id}/ipn", self.control_ipn, methods=post),
                self.view("/orders", lambda: [o.to_json() for o in self.orders.values()]),
                self.view("/ipns", lambda: list(self.ipns.values())),
                self.view("/refunds", lambda: list(self.refunds)),
            ]
        )

    # -- plumbing -------------------------------------------------------------------------

    def fault_body(self, status: int) -> Any:
        return _error_body(str(status), "internal_error", "Internal server error")

    def authenticate(self, request: Request) -> Response | None:
        if self.token_valid(request):
            return None
        return _refusal(
            "unauthorized", "Unauthorized: invalid or expired token", http_status=401
        ).response()

    def forget(self) -> None:
        self.ipns.clear()
        self.orders.clear()
        self.refunds.clear()

    def _order(self, tracking_id: str) -> PesapalOrder:
        order = self.orders.get(tracking_id)
        if order is None:
            # Pesapal reports an unknown tracking id in the body of a 200 answer.
            raise _refusal("invalid_order_tracking_id", "Invalid OrderTrackingId")
        return order

    async def _deliver_ipn(
        self,
        order: PesapalOrder,
        *,
        method: str | None = None,
        deliveries: int = 1,
        notification_type: str = "IPNCHANGE",
    ) -> list[dict[str, Any]]:
        ipn = self.ipns.get(order.notification_id)
        if ipn is None:
            return []
        verb = (method or ipn["ipn_notification_type_description"]).upper()
        params = {
            "OrderTrackingId": order.order_tracking_id,
            "OrderMerchantReference": order.merchant_reference,
            "OrderNotificationType": notification_type,
        }
        sent = Outgoing(
            ipn["url"],
            "ipn",
            method=verb,
            params=params if verb == "GET" else None,
            json=None if verb == "GET" else params,
            note={"params": params},
        )
        return await self.send([sent] * deliveries, timeout_s=self.settings.ipn_timeout_s)

    def _apply_outcome(
        self,
        order: PesapalOrder,
        outcome: str,
        *,
        payment_method: str | None = None,
        confirmation_code: str | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        order.outcome = outcome
        if outcome in ("completed", "reversed", "failed"):
            order.payment_method = (
                payment_method or order.payment_method or (self.settings.payment_method)
            )
        if outcome in ("completed", "reversed") and not order.confirmation_code:
            order.confirmation_code = confirmation_code or secrets.token_hex(5).upper()
        elif confirmation_code:
            order.confirmation_code = confirmation_code

    # -- API ------------------------------------------------------------------------------

    async def request_token(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /api/Auth/RequestToken``; bad credentials are reported in a 200 body."""
        data = _object(received)
        key = str(data.get("consumer_key") or "")
        secret = str(data.get("consumer_secret") or "")
        settings = self.settings
        if key != settings.consumer_key or secret != settings.consumer_secret:
            message = "Invalid consumer_key or consumer_secret provided"
            if settings.leak_credentials_in_errors:
                message += f" (received {key} / {secret})"
            raise _refusal("invalid_api_credentials", message, token=None, expiryDate=None)
        token = self.issue_token(settings.token_ttl_ms, 32)
        expires = datetime.now(UTC) + timedelta(milliseconds=settings.token_ttl_ms)
        return JSONResponse(
            {
                "token": token,
                "expiryDate": _iso(expires),
                "error": None,
                "status": "200",
                "message": "Request processed successfully",
            }
        )

    async def register_ipn(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /api/URLSetup/RegisterIPN``."""
        data = _object(received)
        url = str(data.get("url") or "")
        method = str(data.get("ipn_notification_type") or "").upper()
        if not url.startswith(("http://", "https://")) or method not in ("GET", "POST"):
            raise _refusal(
                "invalid_ipn_registration", "Provide url and GET or POST", http_status=400
            )
        ipn_id = str(uuid.uuid4())
        ipn: dict[str, Any] = {
            "url": url,
            "created_date": _iso(datetime.now(UTC)),
            "ipn_id": ipn_id,
            "notification_type": 0 if method == "GET" else 1,
            "ipn_notification_type_description": method,
            "ipn_status": 1,
            "ipn_status_description": "Active",
        }
        self.ipns[ipn_id] = ipn
        return JSONResponse(
            {
                "url": url,
                "created_date": ipn["created_date"],
                "ipn_id": ipn["ipn_id"],
                "error": None,
                "status": "200",
            }
        )

    async def get_ipn_list(self, request: Request, received: ReceivedRequest) -> Response:
        """``GET /api/URLSetup/GetIpnList``."""
        return JSONResponse(list(self.ipns.values()))

    async def submit_order(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /api/Transactions/SubmitOrderRequest``."""
        data = received.json

        def refuse(code: str, message: str) -> FakeError:
            return _refusal(code, message, http_status=400)

        if not isinstance(data, dict):
            raise refuse("invalid_request", "Body must be a JSON object")
        merchant_reference = str(data.get("id") or "")
        if not merchant_reference or len(merchant_reference) > 50:
            raise refuse("invalid_merchant_reference", "id is required (max 50 characters)")
        if any(o.merchant_reference == merchant_reference for o in self.orders.values()):
            raise refuse("duplicate_merchant_reference", "Merchant reference already used")
        currency = str(data.get("currency") or "").upper()
        if currency not in self.settings.currencies:
            raise refuse("invalid_currency", f"Currency {currency or '?'} is not supported")
        try:
            amount = Decimal(str(data.get("amount")))
        except InvalidOperation:
            amount = Decimal(0)
        if not amount.is_finite() or amount <= 0:
            raise refuse("invalid_amount", "Amount must be greater than zero")
        description = str(data.get("description") or "")
        if not description or len(description) > 100:
            raise refuse("invalid_description", "description is required (max 100 characters)")
        callback_url = str(data.get("callback_url") or "")
        if not callback_url.startswith(("http://", "https://")):
            raise refuse("invalid_callback_url", "callback_url is required")
        notification_id = str(data.get("notification_id") or "")
        if notification_id not in self.ipns:
            raise refuse("invalid_notification_id", "notification_id is not a registered IPN")
        address = data.get("billing_address")
        if not isinstance(address, dict) or not (
            address.get("email_address") or address.get("phone_number")
        ):
            raise refuse("invalid_billing_address", "Provide an email address or phone number")
        order = PesapalOrder(
            order_tracking_id=str(uuid.uuid4()),
            merchant_reference=merchant_reference,
            amount=amount,
            currency=currency,
            description=description,
            callback_url=callback_url,
            notification_id=notification_id,
            billing_address=address,
            cancellation_url=data.get("cancellation_url"),
        )
        self.orders[order.order_tracking_id] = order
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "order_tracking_id": order.order_tracking_id,
                "merchant_reference": merchant_reference,
                "redirect_url": (
                    f"{base}/pesapaliframe/{order.order_tracking_id}"
                    f"?OrderTrackingId={order.order_tracking_id}"
                ),
                "error": None,
                "status": "200",
            }
        )

    def status_body(self, order: PesapalOrder) -> dict[str, Any]:
        """The GetTransactionStatus body for ``order``'s current outcome."""
        status_code, description = _STATUS[order.outcome]
        paid = order.outcome in ("completed", "reversed", "failed")
        return {
            "payment_method": order.payment_method if paid else "",
            "amount": float(order.amount),
            "created_date": order.created_date,
            "confirmation_code": order.confirmation_code,
            "payment_status_description": description,
            "description": "Insufficient funds" if order.outcome == "failed" else None,
            "message": "Request processed successfully",
            "payment_account": "2547******00" if paid else "",
            "call_back_url": _with_query(
                order.callback_url,
                {
                    "OrderTrackingId": order.order_tracking_id,
                    "OrderMerchantReference": order.merchant_reference,
                },
            ),
            "status_code": status_code,
            "merchant_reference": order.merchant_reference,
            "payment_status_code": "",
            "currency": order.currency,
            "error": dict(_NULL_ERROR),
            "status": "200",
        }

    async def transaction_status(self, request: Request, received: ReceivedRequest) -> Response:
        """``GET /api/Transactions/GetTransactionStatus?orderTrackingId=...``."""
        return JSONResponse(
            self.status_body(self._order(received.query.get("orderTrackingId", "")))
        )

    async def refund_request(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /api/Transactions/RefundRequest``; an accepted refund reverses the order."""
        data = _object(received)
        code = str(data.get("confirmation_code") or "")
        order = next(
            (o for o in self.orders.values() if code and o.confirmation_code == code), None
        )
        if order is None:
            raise _refusal("invalid_confirmation_code", "Invalid confirmation code")
        if order.outcome != "completed" or order.refunded:
            raise _refusal("refund_not_allowed", "Only completed payments refund, once")
        try:
            amount = Decimal(str(data.get("amount")))
        except InvalidOperation:
            raise _refusal("invalid_amount", "Invalid amount") from None
        if not amount.is_finite() or amount <= 0 or amount > order.amount:
            raise _refusal("invalid_amount", "Invalid amount")
        if order.payment_method.upper() != "CARD" and amount != order.amount:
            raise _refusal("partial_refund_not_allowed", "Mobile money refunds are full only")
        if not data.get("username") or not data.get("remarks"):
            raise _refusal("invalid_request", "username and remarks are required")
        order.refunded = True
        order.outcome = "reversed"
        self.refunds.append(
            {
                "order_tracking_id": order.order_tracking_id,
                "confirmation_code": code,
                "amount": str(amount),
                "username": data["username"],
                "remarks": data["remarks"],
            }
        )
        return JSONResponse({"status": "200", "message": "Refund request successfully"})

    async def cancel_order(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /api/Transactions/CancelOrder`` for an order not completed yet."""
        order = self._order(str(_object(received).get("order_tracking_id") or ""))
        if order.outcome != "pending":
            raise _refusal("order_not_cancellable", "Only unpaid orders can be cancelled")
        order.outcome = "cancelled"
        return JSONResponse({"status": "200", "message": "Order successfully cancelled"})

    # -- hosted page ----------------------------------------------------------------------

    async def hosted_page(self, request: Request) -> Response:
        """The payer's page: one link per outcome."""
        order = self.orders.get(request.path_params["tracking_id"])
        if order is None:
            return HTMLResponse("<h1>Unknown order</h1>", status_code=404)
        links = "".join(
            f'<li><a href="/pesapaliframe/{order.order_tracking_id}/pay?outcome={o}">{o}</a></li>'
            for o in ("completed", "failed")
        )
        return HTMLResponse(
            "<!doctype html><title>Fake Pesapal</title>"
            f"<h1>Pay {html.escape(order.currency)} {order.amount}</h1>"
            f"<p>{html.escape(order.description)}</p><ul>{links}</ul>"
        )

    async def hosted_pay(self, request: Request) -> Response:
        """Settle the order with ``?outcome=`` (default completed), send the IPN, go back."""
        order = self.orders.get(request.path_params["tracking_id"])
        if order is None:
            return HTMLResponse("<h1>Unknown order</h1>", status_code=404)
        outcome = request.query_params.get("outcome", "completed")
        if outcome not in OUTCOMES:
            return HTMLResponse("<h1>Unknown outcome</h1>", status_code=400)
        self._apply_outcome(order, outcome)
        if self.settings.auto_ipn:
            await self._deliver_ipn(order)
        return RedirectResponse(
            _with_query(
                order.callback_url,
                {
                    "OrderTrackingId": order.order_tracking_id,
                    "OrderMerchantReference": order.merchant_reference,
                    "OrderNotificationType": "CALLBACKURL",
                },
            ),
            status_code=302,
        )

    # -- control --------------------------------------------------------------------------

    async def control_outcome(self, request: Request) -> Response:
        """Set an order's outcome (no IPN is sent; use the ``ipn`` control for that)."""
        order = self.orders.get(request.path_params["tracking_id"])
        if order is None:
            return JSONResponse({"error": "unknown order"}, status_code=404)
        data = await control_json(request)
        try:
            self._apply_outcome(
                order,
                str(data.get("outcome", "completed")),
                payment_method=data.get("payment_method"),
                confirmation_code=data.get("confirmation_code"),
            )
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(order.to_json())

    async def control_ipn(self, request: Request) -> Response:
        """Send the IPN for an order now (``method``, ``deliveries``, ``notification_type``)."""
        order = self.orders.get(request.path_params["tracking_id"])
        if order is None:
            return JSONResponse({"error": "unknown order"}, status_code=404)
        data = await control_json(request)
        results = await self._deliver_ipn(
            order,
            method=data.get("method"),
            deliveries=int(data.get("deliveries", 1)),
            notification_type=str(data.get("notification_type", "IPNCHANGE")),
        )
        return JSONResponse({"deliveries": results})


def create_pesapal_app(settings: PesapalFakeSettings | None = None) -> Starlette:
    """A fresh fake Pesapal app; its :class:`PesapalFake` state is ``app.state.fake``."""
    return PesapalFake(settings).app
