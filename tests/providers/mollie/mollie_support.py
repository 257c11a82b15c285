"""Constants and helpers shared by the Mollie plugin tests (imported by conftest and tests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette

from billing.providers.base import Amount, CustomerRef, PaymentRequest, SavedMethod
from billing_fakes.mollie import FakeMollieState, mollie_state
from billing_fakes.server import FakeServer, ReceivedRequest

API_KEY = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
RETURN_URL = "https://app.example/t/t_42/pm/return?ref=pmset_91"


class MollieControl:
    """Synchronous access to the fake's control endpoints and in-memory state."""

    def __init__(self, server: FakeServer, app: Starlette) -> None:
        self.base_url = server.base_url
        self.state: FakeMollieState = mollie_state(app)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.post(f"{self.base_url}/__control/{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def visit_checkout(self, url: str, **query: str) -> httpx.Response:
        """What the payer's browser does on Mollie's hosted checkout page."""
        return httpx.get(url, params=query, timeout=10, follow_redirects=False)

    def api_requests(self, path: str | None = None) -> list[ReceivedRequest]:
        with self.state.lock:
            return [r for r in self.state.requests if path is None or r.path == path]


def payment_request(
    attempt_id: str,
    amount: str,
    currency: str = "EUR",
    *,
    customer: CustomerRef,
    method: SavedMethod | None = None,
    callback_url: str | None = None,
) -> PaymentRequest:
    """An invoice charge: recurring on ``method`` when given, else a redirect payment."""
    return PaymentRequest(
        attempt_id=attempt_id,
        reference="INV-2026-0007",
        amount=Amount(Decimal(amount), currency),
        description="Invoice INV-2026-0007",
        customer=(
            CustomerRef(
                tenant_id=customer.tenant_id,
                name=customer.name,
                email=customer.email,
                provider_customer_id=method.provider_customer_id,
            )
            if method
            else customer
        ),
        callback_url=callback_url,
        return_url=None if method else RETURN_URL,
        saved_method_ref=method.provider_ref if method else None,
        metadata={"invoice_id": "inv_2026_0007"},
    )


SaveMandate = Callable[..., Awaitable[SavedMethod]]
MakePayment = Callable[..., PaymentRequest]
