"""The seam through which the customer named at creation hears about a payment link.

Seed 004 notifies ``customer`` (e-mail, phone number) of a new invoice. Sending belongs to the
delivery outbox (e-mail and WhatsApp written in the request's transaction and delivered by a
job after commit), which implements ``PaymentLinkNotifier`` and is set on the application as
``app.state.payment_link_notifier``. Until one is set, nothing is sent and nothing pretends to
be: the creation answers as usual and the link is in its response for the merchant to pass on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class PaymentLinkCreated:
    """What the message to the customer needs; no secret beyond the link itself."""

    tenant_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str
    transaction_id: str
    payment_link_url: str
    amount_due: Decimal
    currency: str
    expires_at: datetime | None
    language: str
    customer_name: str | None
    customer_email: str | None
    customer_phone: str | None


class PaymentLinkNotifier(Protocol):
    """Tells the customer of a new payment-link invoice."""

    async def payment_link_created(self, session: AsyncSession, event: PaymentLinkCreated) -> None:
        """Queue the messages for ``event`` in the request's transaction (an outbox row per
        message, delivered after commit): a rolled-back creation sends nothing. Must not
        call out over the network here."""
        ...


def get_payment_link_notifier(request: Request) -> PaymentLinkNotifier | None:
    """The notifier the application was built with, if any."""
    notifier: PaymentLinkNotifier | None = getattr(request.app.state, "payment_link_notifier", None)
    return notifier
