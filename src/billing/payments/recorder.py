"""The ledger side of "mark this invoice paid" (seed 001), for the invoices domain."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.models.invoice import Invoice
from billing.payments.ledger import invoice_balance, pay_invoice


class LedgerPaymentRecorder:
    """Implements ``billing.invoices.ports.PaymentRecorder`` with an append-only receipt."""

    async def settle_in_full(
        self,
        session: AsyncSession,
        *,
        invoice: Invoice,
        method: str,
        external_reference: str | None,
        recorded_by: str | None,
    ) -> None:
        """Record a payment of the whole balance (nothing when nothing is due)."""
        due = invoice_balance(invoice)
        if due > 0:
            await pay_invoice(
                session,
                invoice=invoice,
                amount=due,
                method=method,
                external_reference=external_reference,
                recorded_by=recorded_by,
            )


recorder = LedgerPaymentRecorder()
