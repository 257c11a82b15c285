"""Checkout: payable summaries, starting provider payments, refreshing their status."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth import capabilities
from billing.core.errors import BillingError
from billing.core.jobs import POLL_TASK, defer
from billing.core.money import format_money
from billing.core.tenancy import AccessScope
from billing.invoices.errors import InvoiceNotFound
from billing.invoices.repository import InvoiceRepository
from billing.models.invoice import Invoice
from billing.models.ledger import PaymentTransaction
from billing.models.states import InvoiceStatus, Method, TransactionStatus
from billing.payments.attempts import attempt_amount, online_provider
from billing.payments.callback_urls import CallbackUrls
from billing.payments.checkout.schemas import (
    CheckoutMethod,
    InvoiceCapability,
    MpesaInitiate,
    PesapalInitiate,
)
from billing.payments.errors import (
    AttemptNotFound,
    CurrencyNotSupported,
    InvalidCheckoutAmount,
    InvalidPhoneNumber,
    InvoiceAlreadyPaid,
    PayerContactRequired,
    ProviderFailed,
    ProviderTimeout,
)
from billing.payments.ledger import check_payable, invoice_balance, new_reference
from billing.payments.links.guard import check_can_start
from billing.payments.repository import TransactionRepository
from billing.payments.settlement.service import OPEN, settlement
from billing.providers.base import (
    Amount,
    CustomerRef,
    PaymentProvider,
    PaymentRequest,
    PaymentResult,
    ProviderError,
    ProviderKey,
    ProviderUnavailableError,
)
from billing.providers.phone import InvalidPhoneNumberError, normalize_msisdn
from billing.providers.registry import ProviderFactory
from billing.settings.schemas import OperatorSettings
from billing.settings.service import settings as settings_service

# When to look again at an STK push the payer has not answered (Daraja's prompt lasts ~1 min).
FIRST_POLL = timedelta(seconds=30)

_METHOD_NAMES = {
    "cash": "Cash",
    "mpesa": "M-Pesa",
    "bank": "Bank transfer",
    "cash_on_delivery": "Cash on delivery",
    "pesapal": "Pesapal (card, mobile money)",
    "stripe": "Card",
    "mollie": "Mollie",
}
_PROVIDER_OF = {"mpesa": "mpesa", "pesapal": "pesapal", "stripe": "stripe", "mollie": "mollie"}


@dataclass(frozen=True, slots=True)
class Started:
    """A provider attempt that was created; ``error`` is set when the provider refused."""

    attempt: PaymentTransaction
    result: PaymentResult | None
    error: BillingError | None = None


def checkout_methods(settings: OperatorSettings) -> list[CheckoutMethod]:
    """The enabled payment methods, in display order."""
    return [
        CheckoutMethod(method=method, name=_METHOD_NAMES[method], provider=_PROVIDER_OF.get(method))
        for method in settings.enabled_methods()
    ]


@dataclass(frozen=True, slots=True)
class Payable:
    """An invoice reached by a capability, and the scope narrowed to it."""

    scope: AccessScope
    invoice: Invoice


PushThrottle = Callable[[str, str], Awaitable[None]]
"""Called with the normalised phone number and the invoice id before an STK push."""


class CheckoutService:
    """Public checkout: every operation resolves one invoice or attempt by a capability and
    works under a scope narrowed to it (``billing.auth.capabilities``)."""

    async def payable(
        self,
        session: AsyncSession,
        *,
        number: str | None = None,
        public_id: str | None = None,
    ) -> Payable:
        """An issued invoice by number or public id (drafts are not public: 404)."""
        if number is not None:
            ref = await capabilities.invoice_by_number(session, number)
        elif public_id is not None:
            ref = await capabilities.invoice_by_public_id(session, public_id)
        else:
            ref = None
        if ref is None:
            raise InvoiceNotFound
        scope = await capabilities.narrow(session, ref.tenant_id, invoice_id=ref.id)
        invoice = await InvoiceRepository(session, scope).get(ref.id)
        if invoice is None or invoice.status is InvoiceStatus.DRAFT:
            raise InvoiceNotFound
        return Payable(scope, invoice)

    async def start_mpesa(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        body: MpesaInitiate,
        callbacks: CallbackUrls,
        before_push: PushThrottle | None = None,
    ) -> Started:
        """Send an STK push for an invoice; the result arrives by callback or poll.

        ``before_push(phone, invoice_id)`` runs once the request is known to be valid and
        before anything is written or sent: the route counts pushes per phone number and per
        invoice there (a push rings a stranger's phone, so it is limited far below a page).
        """
        settings = await settings_service.get(session)
        settings_service.check_payment_method(settings, Method.MPESA)
        payable = await self._payable_for(session, body, Method.MPESA)
        invoice = payable.invoice
        if invoice.currency != "KES":
            raise CurrencyNotSupported(
                f"M-Pesa charges KES only; this invoice is {invoice.currency}."
            )
        try:
            phone = normalize_msisdn(body.phone_number)
        except InvalidPhoneNumberError as exc:
            raise InvalidPhoneNumber(str(exc)) from exc
        amount = attempt_amount(invoice, invoice_balance(invoice), body.amount)
        if amount != amount.to_integral_value():
            raise InvalidCheckoutAmount(
                f"M-Pesa takes whole shillings; {format_money(amount, 'KES')} has cents. "
                f"Send an amount such as {amount.to_integral_value(rounding='ROUND_FLOOR')}."
            )
        if before_push is not None:
            await before_push(phone, str(invoice.id))
        started = await self._start(
            session,
            scope=payable.scope,
            invoice=invoice,
            provider=providers.build(ProviderKey.MPESA),
            amount=amount,
            request_extra={"phone": phone},
            callback_url=callbacks.mpesa_stk(),
            return_url=None,
            contact_phone=phone,
            contact_email=None,
        )
        if started.error is None:
            await defer(
                session,
                POLL_TASK,
                args={"attempt_id": str(started.attempt.id), "tenant_id": str(invoice.tenant_id)},
                delay=FIRST_POLL,
            )
        return started

    async def start_pesapal(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        body: PesapalInitiate,
        callbacks: CallbackUrls,
        return_url: str | None = None,
    ) -> Started:
        """Submit a Pesapal order; the payer is redirected to Pesapal's page, and back to
        ``return_url`` (default: the checkout's return page)."""
        settings = await settings_service.get(session)
        settings_service.check_payment_method(settings, Method.PESAPAL)
        payable = await self._payable_for(session, body, Method.PESAPAL)
        invoice = payable.invoice
        provider = providers.build(ProviderKey.PESAPAL)
        if body.currency and body.currency != invoice.currency:
            raise CurrencyNotSupported(
                f"The invoice is in {invoice.currency}; pay it in that currency."
            )
        if not provider.supports_currency(invoice.currency):
            raise CurrencyNotSupported(f"Pesapal does not charge in {invoice.currency}.")
        amount = attempt_amount(invoice, invoice_balance(invoice), body.amount)
        phone = body.phone_number or invoice.buyer.get("phone")
        email = body.email or invoice.buyer.get("email")
        if not phone and not email:
            # Pesapal refuses an order without either; it is the payer's to give, not a
            # provider failure (and nothing is recorded for a request that cannot go out).
            raise PayerContactRequired
        return await self._start(
            session,
            scope=payable.scope,
            invoice=invoice,
            provider=provider,
            amount=amount,
            request_extra={"country_code": str(invoice.buyer.get("country_code") or "")},
            callback_url=callbacks.pesapal_ipn(),
            return_url=return_url or callbacks.pesapal_return(),
            contact_phone=phone,
            contact_email=email,
        )

    async def start_on_page(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        public_id: str,
        callbacks: CallbackUrls,
        provider_key: ProviderKey,
        return_url: str | None,
    ) -> Started:
        """Start a payment of the balance of the invoice behind a public page with an online
        provider: a Stripe PaymentIntent the page confirms with Stripe.js (Payment Element),
        or a Mollie payment whose checkout the payer's browser goes to and comes back from to
        ``return_url``. The provider's webhook settles it (the browser's word counts for
        nothing)."""
        method = Method(provider_key.value)
        settings = await settings_service.get(session)
        settings_service.check_payment_method(settings, method)
        payable = await self._payable_for(session, InvoiceCapability(public_id=public_id), method)
        invoice = payable.invoice
        provider = online_provider(providers, provider_key, invoice.currency)
        return await self._start(
            session,
            scope=payable.scope,
            invoice=invoice,
            provider=provider,
            amount=attempt_amount(invoice, invoice_balance(invoice), None),
            request_extra={"invoice_id": str(invoice.id), "origin": "payment_page"},
            callback_url=callbacks.webhook(provider_key),
            return_url=return_url,
            contact_phone=None,
            contact_email=invoice.buyer.get("email"),
        )

    async def refresh(
        self,
        session: AsyncSession,
        *,
        providers: ProviderFactory,
        provider_key: ProviderKey,
        provider_ref: str,
    ) -> PaymentTransaction:
        """The attempt, after asking the provider when it is still open (no lock while
        asking; settlement applies the answer under the attempt's lock)."""
        ref = await capabilities.attempt_by_provider_ref(session, provider_key.value, provider_ref)
        if ref is None:
            raise AttemptNotFound
        scope = await capabilities.narrow(session, ref.tenant_id, attempt_id=ref.id)
        repository = TransactionRepository(session, scope)
        attempt = await repository.get(ref.id)
        if attempt is None:
            raise AttemptNotFound
        if attempt.status in OPEN:
            try:
                await settlement.refresh(session, providers=providers, scope=scope, attempt=attempt)
            except ProviderError:
                pass  # the stored state stands; the poller will try again
        return attempt

    async def _payable_for(
        self, session: AsyncSession, body: InvoiceCapability, method: str
    ) -> Payable:
        payable = await self.payable(session, number=body.invoice_number, public_id=body.public_id)
        check_payable(payable.invoice)
        if invoice_balance(payable.invoice) <= 0:
            raise InvoiceAlreadyPaid
        # A payment link refuses new attempts once expired, and methods its account refuses.
        await check_can_start(session, scope=payable.scope, invoice=payable.invoice, method=method)
        return payable

    async def _start(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        invoice: Invoice,
        provider: PaymentProvider,
        amount: Decimal,
        request_extra: dict[str, str],
        callback_url: str,
        return_url: str | None,
        contact_phone: str | None,
        contact_email: str | None,
    ) -> Started:
        attempt = PaymentTransaction(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            reference=new_reference("TXN"),
            invoice_id=invoice.id,
            method=provider.key.value,
            provider=provider.key.value,
            amount=amount,
            currency=invoice.currency,
            status=TransactionStatus.PENDING,
            gateway_data={},
        )
        await TransactionRepository(session, scope).add(attempt)
        request = PaymentRequest(
            attempt_id=str(attempt.id),
            reference=(invoice.invoice_number or attempt.reference)[:12],
            amount=Amount(amount, invoice.currency),
            description=f"Invoice {invoice.invoice_number}",
            customer=CustomerRef(
                tenant_id=str(invoice.tenant_id),
                name=str(invoice.buyer.get("name") or "Customer"),
                email=contact_email,
                phone=contact_phone,
            ),
            callback_url=callback_url,
            return_url=return_url,
            metadata=request_extra,
        )
        try:
            result = await provider.create_payment(request)
        except ProviderUnavailableError as exc:
            # Kept, not rolled back: the attempt and its failure are part of the audit trail.
            attempt.status = TransactionStatus.FAILED
            attempt.failure_code = exc.code
            attempt.failure_message = exc.message[:500]
            error: BillingError = (
                ProviderTimeout(f"{provider.display_name} did not answer in time ({exc.code}).")
                if exc.timeout
                else ProviderFailed(f"{provider.display_name} is unavailable ({exc.code}).")
            )
            return Started(attempt, None, error)
        except ProviderError as exc:
            attempt.status = TransactionStatus.FAILED
            attempt.failure_code = exc.code
            attempt.failure_message = exc.message[:500]
            return Started(
                attempt,
                None,
                ProviderFailed(
                    f"{provider.display_name} refused the payment: {exc.code}: {exc.message}"
                ),
            )
        attempt.provider_ref = result.provider_ref
        attempt.gateway_data = {
            key: value for key, value in result.raw.items() if isinstance(value, str | int)
        }
        await session.flush()
        return Started(attempt, result)


checkout = CheckoutService()
