"""Constants and helpers shared by the Stripe plugin tests (imported by conftest and tests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette

from billing.providers.base import Amount, CustomerRef, PaymentRequest, SavedMethod
from billing_fakes.server import FakeServer, ReceivedRequest
from billing_fakes.stripe import FakeStripeState, stripe_state

SECRET_KEY = "sk_test_51FakeSecretKeyForTests0123456789"
PUBLISHABLE_KEY = "pk_test_51FakePublishableKeyForTests"
WEBHOOK_SECRET = "whsec_current0123456789abcdefghijklmnop"
OLD_WEBHOOK_SECRET = "whsec_previous0123456789abcdefghijklmn"


class StripeControl:
    """Synchronous access to the fake's ``/__control`` endpoints and in-memory state."""

    def __init__(self, server: FakeServer, app: Starlette) -> None:
        self.base_url = server.base_url
        self.state: FakeStripeState = stripe_state(app)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.post(f"{self.base_url}/__control/{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def confirm_setup(self, setup_intent_id: str, payment_method: str, **extra: str) -> Any:
        """What Stripe.js does in the browser: confirm the SetupIntent with a card."""
        return self.post(
            f"setup_intents/{setup_intent_id}/confirm",
            {"payment_method": payment_method, **extra},
        )

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
) -> PaymentRequest:
    """An invoice charge, off-session when ``method`` is given."""
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
        saved_method_ref=method.provider_ref if method else None,
        metadata={"invoice_id": "inv_2026_0007"},
    )


SaveMethod = Callable[..., Awaitable[SavedMethod]]
MakePayment = Callable[..., PaymentRequest]
