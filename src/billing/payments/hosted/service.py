"""The payment page's operations: start a payment of the balance with a method the page
offers, follow an attempt, and bring the payer back from Pesapal.

Everything resolves the invoice by its public id (``documents.find_public``: the capability is
checked, the scope narrowed to that invoice) and starts payments through the checkout service,
which refuses expired links and methods the invoice's account does not accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.clock import utcnow
from billing.core.money import round_money
from billing.documents.page_text import page_text
from billing.documents.service import document as document_service
from billing.invoices.presenter import balance, effective_status, language_of, payment_status
from billing.invoices.schemas import PaymentStatus
from billing.models.invoice import Invoice
from billing.models.ledger import PaymentTransaction
from billing.models.states import InvoiceStatus
from billing.payments.callback_urls import CallbackUrls
from billing.payments.checkout.schemas import PesapalInitiate
from billing.payments.checkout.service import Started
from billing.payments.checkout.service import checkout as checkout_service
from billing.payments.hosted.options import REFERENCE, page_url
from billing.payments.hosted.schemas import AttemptState, PaymentPageStatus
from billing.payments.links.guard import is_expired
from billing.payments.links.repository import PaymentLinkRepository
from billing.payments.repository import TransactionRepository
from billing.payments.settlement.service import OPEN, settlement
from billing.providers.base import ProviderError, ProviderKey
from billing.providers.registry import ProviderFactory
from billing.renderers.labels import format_money

TRACKING_ID = re.compile(r"^[A-Za-z0-9-]{1,200}$")
"""A Pesapal OrderTrackingId (a UUID); anything else names no order."""

REFRESH_AFTER = timedelta(seconds=3)
"""A followed attempt still open is asked about at the provider at most this often."""


@dataclass(frozen=True, slots=True)
class Followed:
    """The invoice of a page and the attempt it follows, after asking the provider."""

    invoice: Invoice
    attempt: PaymentTransaction | None
    expired: bool


class HostedCheckoutService:
    """The public page's payments."""

    async def start_pesapal(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        callbacks: CallbackUrls,
        public_id: str,
        email: str | None,
        phone_number: str | None,
    ) -> Started:
        """A Pesapal order whose payer comes back to this page (through the return route)."""
        await document_service.find_public(session, public_id=public_id)
        return await checkout_service.start_pesapal(
            session,
            providers=providers,
            body=PesapalInitiate(public_id=public_id, email=email, phone_number=phone_number),
            callbacks=callbacks,
            return_url=f"{callbacks.base_url}{page_url(public_id)}/pesapal-return",
        )

    async def start_online(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        callbacks: CallbackUrls,
        public_id: str,
        provider_key: ProviderKey,
    ) -> Started:
        """A payment of the balance with Stripe (a PaymentIntent for the page's Payment
        Element) or Mollie (whose payer comes back to this page)."""
        await document_service.find_public(session, public_id=public_id)
        return await checkout_service.start_on_page(
            session,
            providers=providers,
            public_id=public_id,
            callbacks=callbacks,
            provider_key=provider_key,
            return_url=(
                f"{callbacks.base_url}{page_url(public_id)}?paid_with=mollie"
                if provider_key is ProviderKey.MOLLIE
                else None
            ),
        )

    async def follow(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        public_id: str,
        reference: str | None,
        ask_now: bool = False,
    ) -> Followed:
        """The invoice and the attempt ``reference`` of it (another invoice's is ignored);
        an open provider attempt is asked about at the provider first, unless it was asked
        less than ``REFRESH_AFTER`` ago and ``ask_now`` is false (no lock held while asking;
        settlement applies the answer under the attempt's lock)."""
        public = await document_service.find_public(session, public_id=public_id)
        invoice, scope = public.invoice, public.scope
        attempt = None
        if reference and REFERENCE.fullmatch(reference):
            found = await TransactionRepository(session, scope).by_reference(reference)
            if found is not None and found.invoice_id == invoice.id:
                attempt = found
        if (
            attempt is not None
            and attempt.status in OPEN
            and attempt.provider is not None
            and (ask_now or utcnow() - attempt.updated_at >= REFRESH_AFTER)
        ):
            try:
                await settlement.refresh(session, providers=providers, scope=scope, attempt=attempt)
            except ProviderError:
                pass  # the stored state stands; the next poll asks again
        link = await PaymentLinkRepository(session, scope).for_invoice(
            invoice.tenant_id, invoice.id
        )
        return Followed(invoice, attempt, link is not None and is_expired(link))

    async def pesapal_return(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        public_id: str,
        tracking_id: str,
    ) -> str | None:
        """Ask Pesapal about the order the payer returns from; its attempt's reference when
        it is an order of this page's invoice."""
        public = await document_service.find_public(session, public_id=public_id)
        if not TRACKING_ID.fullmatch(tracking_id):
            return None
        found = await TransactionRepository(session, public.scope).by_provider_ref(
            ProviderKey.PESAPAL.value, tracking_id
        )
        if found is None or found.invoice_id != public.invoice.id:
            return None
        followed = await self.follow(
            session,
            providers=providers,
            public_id=public_id,
            reference=found.reference,
            ask_now=True,
        )
        return followed.attempt.reference if followed.attempt is not None else None


def page_status(followed: Followed, *, today: date) -> PaymentPageStatus:
    """What the page shows, in the invoice's language (``today``: the operator's date)."""
    invoice = followed.invoice
    language = language_of(invoice).value
    text = page_text(language)
    status = effective_status(invoice, today).value
    due = round_money(balance(invoice), invoice.currency)
    expired = followed.expired and due > 0 and invoice.status is not InvoiceStatus.CANCELLED
    shown = "expired" if expired else status
    attempt = followed.attempt
    return PaymentPageStatus(
        status=shown,
        status_label=text.get(f"status_{shown}", shown.capitalize()),
        paid=payment_status(invoice) is PaymentStatus.PAID,
        currency=invoice.currency,
        amount_due=due,
        amount_due_display=format_money(due, invoice.currency, language),
        expired=followed.expired,
        attempt=AttemptState(
            reference=attempt.reference, method=str(attempt.method), status=attempt.status
        )
        if attempt is not None
        else None,
    )


hosted_checkout = HostedCheckoutService()
