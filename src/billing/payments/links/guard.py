"""What a payment link allows: no new payment attempt after its expiry, and only the methods
its payment account accepts. Checked wherever an attempt starts (checkout, cash on delivery,
charges of saved methods, the hosted page); money already on its way is still settled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.tenancy import AccessScope
from billing.models.invoice import Invoice
from billing.models.payment_link import PaymentLink
from billing.payments.accounts.repository import PaymentAccountRepository
from billing.payments.links.errors import PaymentLinkExpired, PaymentMethodNotAccepted
from billing.payments.links.repository import PaymentLinkRepository


def is_expired(link: PaymentLink, now: datetime | None = None) -> bool:
    """True once ``expiresAt`` has passed."""
    return link.expires_at is not None and link.expires_at <= (now or utcnow())


async def check_can_start(
    session: AsyncSession, *, scope: AccessScope, invoice: Invoice, method: str
) -> None:
    """Refuse a new payment attempt on ``invoice`` by ``method`` when the invoice has a
    payment link that expired (409 ``payment_link_expired``) or whose account does not accept
    the method (400 ``payment_method_not_accepted``). Invoices without a link pass."""
    link = await PaymentLinkRepository(session, scope).for_invoice(invoice.tenant_id, invoice.id)
    if link is None:
        return
    if is_expired(link):
        raise PaymentLinkExpired(
            f"The payment link of invoice {invoice.invoice_number} expired at "
            f"{link.expires_at:%Y-%m-%dT%H:%M:%S%z}; no new payment can be started."
            if link.expires_at is not None
            else None
        )
    account = await PaymentAccountRepository(session).get(link.payment_account_id)
    if account is not None and method not in account.accepted_methods:
        raise PaymentMethodNotAccepted(
            f"The payment account of invoice {invoice.invoice_number} accepts "
            f"{', '.join(account.accepted_methods)}; not {method}."
        )
