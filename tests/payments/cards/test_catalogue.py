"""The provider catalogue and frontend configuration: public, never a secret."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.payments.cards.cards_support import BILLING, create_tenant
from tests.providers.stripe.stripe_support import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

pytestmark = pytest.mark.usefixtures("cards_ready")


async def test_providers_are_listed_without_credentials(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{BILLING}/payment-providers")

    assert response.status_code == 200, response.text
    by_slug = {provider["slug"]: provider for provider in response.json()["data"]}
    assert set(by_slug) == {"stripe", "mollie", "mpesa", "pesapal"}
    stripe = by_slug["stripe"]
    assert stripe["saves_methods"] is True
    assert (stripe["configured"], stripe["enabled"]) == (True, True)
    assert {"card", "sepa_debit"} <= set(stripe["method_types"])
    assert {"EUR", "JPY", "KWD"} <= set(stripe["currencies"])
    assert {"save_method", "charge_saved", "partial_refund"} <= set(stripe["capabilities"])
    assert by_slug["mollie"]["saves_methods"] is True
    assert "KES" not in by_slug["mollie"]["currencies"]
    assert by_slug["mpesa"]["saves_methods"] is False
    # The test stack gives M-Pesa and Pesapal no credentials.
    assert by_slug["pesapal"]["configured"] is False


async def test_stripe_config_is_the_publishable_key_only(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{BILLING}/payment-providers/stripe/config")

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["config"] == {"publishable_key": PUBLISHABLE_KEY}
    assert SECRET_KEY not in response.text
    assert WEBHOOK_SECRET not in response.text


async def test_credentials_are_optional_but_checked(
    http: httpx.AsyncClient, tokens: Tokens
) -> None:
    tenant = await create_tenant(http, tokens)

    signed_in = await http.get(f"{BILLING}/payment-providers", headers=tenant.member)
    broken = await http.get(
        f"{BILLING}/payment-providers", headers={"Authorization": "Bearer not-a-token"}
    )

    assert signed_in.status_code == 200
    assert broken.status_code == 401


async def test_unknown_provider_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{BILLING}/payment-providers/paypal/config")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "payment_provider_not_found"


@pytest.mark.parametrize("slug", ["mpesa", "pesapal"])
async def test_mobile_money_cannot_save_methods(
    http: httpx.AsyncClient, tokens: Tokens, slug: str
) -> None:
    tenant = await create_tenant(http, tokens)

    response = await http.post(
        f"{BILLING}/payment-providers/{slug}/setup",
        headers=tenant.owner,
        json={"method_type": "card"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "provider_cannot_save_methods"


async def test_setup_needs_a_tenant_principal(http: httpx.AsyncClient, tokens: Tokens) -> None:
    anonymous = await http.post(
        f"{BILLING}/payment-providers/stripe/setup", json={"method_type": "card"}
    )
    staff = await http.post(
        f"{BILLING}/payment-providers/stripe/setup",
        headers=tokens.admin(),
        json={"method_type": "card"},
    )

    assert anonymous.status_code == 401
    assert staff.status_code == 403
