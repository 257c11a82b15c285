"""An Idempotency-Key belongs to the whole principal: two callers sharing a ``sub`` never see
each other's responses (here: Stripe setup answers, which carry a client secret)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.fixtures.auth import Tokens
from tests.payments.cards.cards_support import BILLING, CardsStack, create_tenant

pytestmark = pytest.mark.usefixtures("cards_ready")


async def test_the_same_key_under_another_tenant_with_the_same_sub_does_not_replay(
    http: httpx.AsyncClient, tokens: Tokens, cards: CardsStack
) -> None:
    first = await create_tenant(http, tokens)
    second = await create_tenant(http, tokens)
    # Both owners are "owner-1" in their own tenant: one sub, two principals.
    assert first.owner != second.owner
    key = {"Idempotency-Key": uuid.uuid4().hex}
    url = f"{BILLING}/payment-providers/stripe/setup"

    mine = await http.post(url, headers={**first.owner, **key}, json={})
    theirs = await http.post(url, headers={**second.owner, **key}, json={})
    replayed = await http.post(url, headers={**first.owner, **key}, json={})

    assert mine.status_code == theirs.status_code == 200, theirs.text
    assert "idempotent-replayed" not in theirs.headers
    secret = mine.json()["data"]["next_action"]["client_secret"]
    assert theirs.json()["data"]["next_action"]["client_secret"] != secret
    assert theirs.json()["data"]["id"] != mine.json()["data"]["id"]
    # The first principal still gets its own answer back.
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["data"]["next_action"]["client_secret"] == secret
