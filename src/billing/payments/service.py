"""Payment use cases: record, cash with change, quick-pay, wallet, refunds, monitoring."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.principal import Principal
from billing.core.clock import utcnow
from billing.core.money import format_money, round_money
from billing.core.pagination import PageOf, PageParams
from billing.core.tenancy import AccessScope
from billing.invoices.service import invoice as invoice_service
from billing.models.credit_note import CreditNote
from billing.models.invoice import Invoice
from billing.models.ledger import CashTransaction, PaymentTransaction, Refund, WalletEntry
from billing.models.payment import Payment
from billing.models.states import CashStatus, InvoiceStatus, Method, TransactionStatus
from billing.payments.credit_notes.service import (
    IssuedCredit,
    RefundCredit,
    credit_note_ids,
    credit_refund_parts,
    settle_refund_credits,
)
from billing.payments.errors import (
    AmountGivenRequired,
    AmountGivenTooLow,
    InsufficientWalletBalance,
    InvoiceAlreadyPaid,
    PaymentMethodNotSupported,
    PaymentMethodRequired,
    PaymentNotFound,
    RefundExceedsRefundable,
    TransactionNotFound,
    UnknownPaymentMethod,
)
from billing.payments.ledger import (
    Receipt,
    RefundPlan,
    advisory_lock,
    check_amount,
    check_payable,
    invoice_balance,
    lock_wallet,
    pay_from_wallet,
    pay_invoice,
    record_receipt,
    record_refund,
)
from billing.payments.repository import (
    CashTransactionRepository,
    OpenInvoices,
    PaymentRepository,
    TransactionFilters,
    TransactionRepository,
    WalletRepository,
    wallet_balance,
)
from billing.payments.schemas import (
    MANUAL_METHODS,
    ApplyWalletRequest,
    CashPayRequest,
    PaymentCreate,
    QuickPayRequest,
    RefundRequest,
)
from billing.settings.service import settings as settings_service
from billing.tenants.service import tenant as tenant_service


@dataclass(frozen=True, slots=True)
class RecordedRefund:
    """A refund and the credit notes issued with it."""

    refund: Refund
    credit_notes: tuple[CreditNote, ...] = ()


@dataclass(frozen=True, slots=True)
class QuickPayOutcome:
    """A quick-pay's payment, what each invoice got and what went to the wallet."""

    payment: Payment
    applied: list[tuple[Invoice, Decimal]]
    wallet_credit: Decimal
    open_balance: Decimal


class PaymentService:
    """Money in and out; every movement goes through ``billing.payments.ledger``."""

    async def record(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        invoice: Invoice,
        body: PaymentCreate,
    ) -> Receipt:
        """Record a (partial) payment on a locked invoice."""
        method = await self._manual_method(session, body.method)
        if method == Method.WALLET:
            return await pay_from_wallet(
                session, invoice=invoice, amount=body.amount, recorded_by=principal.key
            )
        return await pay_invoice(
            session,
            invoice=invoice,
            amount=body.amount,
            method=method,
            external_reference=body.reference,
            paid_at=body.paid_at,
            notes=body.notes,
            recorded_by=principal.key,
        )

    async def for_invoice(
        self, session: AsyncSession, *, scope: AccessScope, invoice: Invoice
    ) -> list[tuple[Payment, Decimal]]:
        """Payments on an invoice with the net amount each left on it."""
        return await PaymentRepository(session, scope).for_invoice(invoice)

    async def cash_pay(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        principal: Principal,
        invoice: Invoice,
        body: CashPayRequest,
    ) -> CashTransaction:
        """Seed 001: settle the whole balance in cash and compute the change."""
        if not body.payment_method:
            raise PaymentMethodRequired
        settings = await settings_service.get(session)
        settings_service.check_payment_method(settings, body.payment_method)
        if body.payment_method != Method.CASH:
            raise PaymentMethodNotSupported(
                f"Payment method '{body.payment_method}' is not yet supported by this route; "
                "record the payment with POST /invoices/{invoice_id}/payments instead."
            )
        if body.amount_given is None:
            raise AmountGivenRequired
        due = round_money(invoice_balance(invoice), invoice.currency)
        if invoice.status is InvoiceStatus.PAID or due <= 0:
            raise InvoiceAlreadyPaid
        check_payable(invoice)
        if body.amount_given < due:
            raise AmountGivenTooLow
        given = round_money(body.amount_given, invoice.currency)
        receipt = await pay_invoice(
            session,
            invoice=invoice,
            amount=due,
            method=Method.CASH,
            recorded_by=principal.key,
        )
        receipt.transaction.gateway_data = {"amount_given": str(given), "change": str(given - due)}
        cash = CashTransaction(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.id,
            payment_id=receipt.payment.id,
            currency=invoice.currency,
            amount_due=due,
            amount_given=given,
            change_amount=given - due,
            status=CashStatus.COMPLETED,
            processed_by=principal.subject,
            completed_at=utcnow(),
        )
        await CashTransactionRepository(session, scope).create(cash)
        await session.refresh(invoice, ["cash_transactions"])
        return cash

    async def quick_pay(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        principal: Principal,
        tenant_id: uuid.UUID,
        body: QuickPayRequest,
    ) -> QuickPayOutcome:
        """Spread one amount over open invoices, oldest due first; the rest to the wallet."""
        tenant = await tenant_service.get(session, scope=scope, tenant_id=tenant_id)
        currency = body.currency or tenant.default_currency
        check_amount(body.amount, currency)
        method = await self._manual_method(session, body.method, allow_wallet=False)
        settings_service.check_currency(await settings_service.get(session), currency)
        invoices = await OpenInvoices(session, scope).lock_open(tenant.id, currency)
        left = body.amount
        applied: list[tuple[Invoice, Decimal]] = []
        for invoice in invoices:
            if left <= 0:
                break
            part = min(left, invoice_balance(invoice))
            applied.append((invoice, part))
            left -= part
        if left > 0:
            await lock_wallet(session, tenant.id, currency)
        receipt = await record_receipt(
            session,
            tenant_id=tenant.id,
            currency=currency,
            amount=body.amount,
            method=method,
            allocations=applied,
            wallet_credit=left,
            external_reference=body.reference,
            notes=body.notes,
            recorded_by=principal.key,
        )
        open_balance = sum((invoice_balance(invoice) for invoice in invoices), Decimal(0))
        return QuickPayOutcome(receipt.payment, applied, left, open_balance)

    async def apply_wallet(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        invoice: Invoice,
        body: ApplyWalletRequest,
    ) -> Receipt:
        """Pay a locked invoice from the tenant's wallet."""
        check_payable(invoice)
        due = invoice_balance(invoice)
        if due <= 0:
            raise InvoiceAlreadyPaid
        amount = body.amount
        if amount is None:
            await lock_wallet(session, invoice.tenant_id, invoice.currency)
            available = await wallet_balance(session, invoice.tenant_id, invoice.currency)
            if available <= 0:
                raise InsufficientWalletBalance(f"The wallet holds no {invoice.currency}.")
            amount = min(available, due)
        return await pay_from_wallet(
            session, invoice=invoice, amount=amount, recorded_by=principal.key
        )

    async def wallet(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        tenant_id: uuid.UUID,
        limit: int = 50,
    ) -> tuple[dict[str, Decimal], Sequence[WalletEntry]]:
        """Balances per currency and the latest entries."""
        repository = WalletRepository(session, scope)
        balances = await repository.balances(tenant_id)
        entries = await repository.latest_entries(tenant_id, limit=limit)
        return balances, entries

    async def refund(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        principal: Principal,
        payment: Payment,
        body: RefundRequest,
    ) -> RecordedRefund:
        """Refund a manual payment at once; its invoices' balances and statuses follow.

        With ``credit_note``, each invoice the refund takes money from gets a credit note of
        exactly its part, in the same transaction (all of it happens or none of it).
        Provider payments are refunded through the provider (``billing.payments.refunds``).
        """
        repository = PaymentRepository(session, scope)
        await advisory_lock(session, f"refund:{payment.id}")
        refundable = payment.amount - await repository.refunded_total(payment)
        amount = body.amount if body.amount is not None else refundable
        check_amount(amount, payment.currency)
        if amount > refundable:
            raise RefundExceedsRefundable(
                f"At most {format_money(refundable, payment.currency)} of this payment can "
                "be refunded."
            )
        plan = await self._refund_plan(session, scope, payment, amount)
        # Money that came out of the wallet goes back into it, not to the customer.
        into_wallet = payment.method == Method.WALLET
        issued: list[IssuedCredit] = []
        if body.credit_note:
            issued = await credit_refund_parts(
                session,
                scope=scope,
                parts=plan.from_invoices,
                request=RefundCredit(
                    reason=body.reason or f"Refund of payment {payment.reference}",
                    created_by=principal.key,
                ),
                into_wallet=into_wallet,
                strict=True,
            )
        refund = await record_refund(
            session,
            payment=payment,
            plan=plan,
            amount=amount,
            reason=body.reason,
            recorded_by=principal.key,
            back_to_wallet=into_wallet,
            credit_notes=credit_note_ids(issued),
        )
        await settle_refund_credits(session, issued)
        if payment.transaction_id is not None and amount == refundable:
            transaction = await TransactionRepository(session, scope).get(payment.transaction_id)
            if transaction is not None:
                transaction.status = TransactionStatus.REFUNDED
        await session.flush()
        return RecordedRefund(refund, tuple(item.credit_note for item in issued))

    async def transaction(
        self, session: AsyncSession, *, scope: AccessScope, reference: str
    ) -> PaymentTransaction:
        """One attempt by reference (404 outside the scope)."""
        found = await TransactionRepository(session, scope).by_reference(reference)
        if found is None:
            raise TransactionNotFound
        return found

    async def transactions(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        filters: TransactionFilters,
        page: PageParams,
    ) -> PageOf[PaymentTransaction]:
        """A page of attempts."""
        return await TransactionRepository(session, scope).list_page(filters, page=page)

    async def invoice_transactions(
        self, session: AsyncSession, *, scope: AccessScope, invoice_id: uuid.UUID
    ) -> Sequence[PaymentTransaction]:
        """Every attempt on a visible invoice."""
        await invoice_service.get(session, scope=scope, invoice_id=invoice_id)
        return await TransactionRepository(session, scope).for_invoice(invoice_id)

    async def reverse_in_full(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        payment_id: uuid.UUID,
        reason: str,
        provider_ref: str | None,
    ) -> Refund | None:
        """Record that the provider gave all of a payment back (a reversal); None if nothing
        is left to refund."""
        repository = PaymentRepository(session, scope)
        payment = await repository.get(payment_id)
        if payment is None:
            raise PaymentNotFound
        await advisory_lock(session, f"refund:{payment.id}")
        refundable = payment.amount - await repository.refunded_total(payment)
        if refundable <= 0:
            return None
        plan = await self._refund_plan(session, scope, payment, refundable)
        return await record_refund(
            session,
            payment=payment,
            plan=plan,
            amount=refundable,
            reason=reason,
            recorded_by=None,
            provider_ref=provider_ref,
        )

    async def record_provider_refund(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        payment_id: uuid.UUID,
        amount: Decimal,
        reason: str | None,
        provider_ref: str | None,
        recorded_by: str | None,
        credit: RefundCredit | None = None,
    ) -> RecordedRefund | None:
        """Record money a provider confirms it gave back, up to what is left of the payment
        (None if nothing is left); the provider has already moved it, so nothing is checked
        against the caller's wishes here. With ``credit``, the invoices it comes from get
        credit notes where they still can (a refused one is skipped and logged)."""
        repository = PaymentRepository(session, scope)
        payment = await repository.get(payment_id)
        if payment is None:
            raise PaymentNotFound
        await advisory_lock(session, f"refund:{payment.id}")
        amount = min(amount, payment.amount - await repository.refunded_total(payment))
        if amount <= 0:
            return None
        plan = await self._refund_plan(session, scope, payment, amount)
        issued: list[IssuedCredit] = []
        if credit is not None:
            issued = await credit_refund_parts(
                session,
                scope=scope,
                parts=plan.from_invoices,
                request=credit,
                into_wallet=False,
                strict=False,
            )
        refund = await record_refund(
            session,
            payment=payment,
            plan=plan,
            amount=amount,
            reason=reason,
            recorded_by=recorded_by,
            provider_ref=provider_ref,
            credit_notes=credit_note_ids(issued),
        )
        await settle_refund_credits(session, issued)
        return RecordedRefund(refund, tuple(item.credit_note for item in issued))

    async def refund_preview(
        self, session: AsyncSession, *, scope: AccessScope, payment: Payment, amount: Decimal
    ) -> list[tuple[Invoice, Decimal]]:
        """Which invoices a refund of ``amount`` would take money from, read without locks
        (to check its credit notes before asking a provider)."""
        return (await self._refund_plan(session, scope, payment, amount, lock=False)).from_invoices

    async def _refund_plan(
        self,
        session: AsyncSession,
        scope: AccessScope,
        payment: Payment,
        amount: Decimal,
        *,
        lock: bool = True,
    ) -> RefundPlan:
        """Take the refund from the payment's invoices (newest allocation first), then from
        the wallet credit it left; invoices are locked before they change (``lock=False``
        only reads, for a preview)."""
        repository = PaymentRepository(session, scope)
        net_by_invoice: dict[uuid.UUID, Decimal] = {}
        order: list[uuid.UUID] = []
        for allocation in await repository.allocations(payment):
            if allocation.invoice_id not in net_by_invoice:
                order.append(allocation.invoice_id)
            net_by_invoice[allocation.invoice_id] = (
                net_by_invoice.get(allocation.invoice_id, Decimal(0)) + allocation.amount
            )
        left = amount
        parts: list[tuple[Invoice, Decimal]] = []
        for invoice_id in reversed(order):
            if left <= 0:
                break
            net = net_by_invoice[invoice_id]
            if net <= 0:
                continue
            invoice = await invoice_service.get(
                session, scope=scope, invoice_id=invoice_id, for_update=lock
            )
            part = min(left, net)
            parts.append((invoice, part))
            left -= part
        if left > 0 and lock:
            await lock_wallet(session, payment.tenant_id, payment.currency)
            credit = await repository.wallet_credit_of(payment)
            available = await wallet_balance(session, payment.tenant_id, payment.currency)
            if left > min(credit, available):
                raise InsufficientWalletBalance(
                    "The wallet credit of this payment was already spent; refund the invoices "
                    "it paid instead."
                )
        return RefundPlan(from_invoices=parts, from_wallet=left)

    async def _manual_method(
        self, session: AsyncSession, method: str, *, allow_wallet: bool = True
    ) -> str:
        if method not in MANUAL_METHODS or (method == Method.WALLET and not allow_wallet):
            allowed = [m for m in MANUAL_METHODS if allow_wallet or m != Method.WALLET]
            raise UnknownPaymentMethod(
                f"Unknown payment method '{method}'. Use one of: {', '.join(allowed)}"
            )
        settings = await settings_service.get(session)
        settings_service.check_payment_method(settings, method)
        return method


payment = PaymentService()
