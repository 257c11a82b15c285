"""What the invoices domain needs from others, as interfaces the application wires up.

Invoicing sits below payments: it never imports them. Seed 001 lets an invoice be created or
moved "paid" in one call; recording that money is the payments domain's job, reached through
``PaymentRecorder`` (implemented in ``billing.payments.recorder``, set on the app by
``billing.main``).
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models.invoice import Invoice


class PaymentRecorder(Protocol):
    """Records money received for an invoice in the ledger."""

    async def settle_in_full(
        self,
        session: AsyncSession,
        *,
        invoice: Invoice,
        method: str,
        external_reference: str | None,
        recorded_by: str | None,
    ) -> None:
        """Record a payment of the whole balance of a locked, issued invoice."""
        ...


async def get_payment_recorder(request: Request) -> PaymentRecorder:
    """The recorder the application was built with."""
    recorder: PaymentRecorder = request.app.state.payment_recorder
    return recorder


Recorder = Annotated[PaymentRecorder, Depends(get_payment_recorder)]
