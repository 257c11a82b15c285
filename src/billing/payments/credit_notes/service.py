"""Credit notes that move money, and credit notes of refunds.

A credit note's total is split three ways (``MoneySplit``):

* ``reduce_balance``: the invoice asks for less; only what is still open can be reduced.
* ``refund``: money paid on the invoice goes back to the payer, newest payment first, as ledger
  refunds (refund rows and negative allocations naming the credit note). Card and SEPA
  payments go back through their provider, so a credit note that would refund one is refused
  with ``refund_through_provider``: refund that payment with ``credit_note: true`` instead.
* ``wallet``: money paid on the invoice is moved to the tenant's wallet (a negative allocation
  and a wallet credit naming the credit note); nothing leaves the operator.

With ``refund`` or ``wallet``, the paid money is given back first; when the credit note is
larger than what was paid, the rest reduces the open balance.

A refund with ``credit_note: true`` issues, for each invoice the refund takes money from, a
credit note totalling exactly that invoice's part (``prepare_amount``), settled as ``refund``
(or ``wallet`` for a wallet-funded payment). For manual payments it is all one transaction:
the credit note and the refund both happen or neither does. A provider refund is checked
before the provider is asked; once the provider has given the money back the refund is always
recorded, and a credit note that became impossible meanwhile (another one credited the
invoice in between) is skipped and logged rather than losing the ledger row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.principal import Principal
from billing.core.errors import BillingError
from billing.core.money import ZERO, round_money
from billing.core.tenancy import AccessScope
from billing.invoices.credit_notes.errors import CreditExceedsBalance
from billing.invoices.credit_notes.schemas import CreditNoteCreate
from billing.invoices.credit_notes.service import MoneySplit, PreparedCredit
from billing.invoices.credit_notes.service import credit_note as credit_note_service
from billing.invoices.presenter import balance
from billing.invoices.schemas import CreditNoteSettlement
from billing.models.credit_note import CreditNote
from billing.models.invoice import Invoice
from billing.models.payment import Payment
from billing.models.states import Method, TransactionStatus
from billing.payments.errors import NothingPaidToReturn, RefundThroughProvider
from billing.payments.ledger import (
    REFUNDED_BY_PROVIDER,
    RefundPlan,
    advisory_lock,
    move_to_wallet,
    record_refund,
)
from billing.payments.repository import PaymentRepository, TransactionRepository

logger = structlog.get_logger(__name__)


def split_for(invoice: Invoice, total: Decimal, settlement: CreditNoteSettlement) -> MoneySplit:
    """Where ``total`` goes for ``settlement`` on a locked invoice.

    Raises:
        CreditExceedsBalance: more would be reduced than is open on the invoice.
        NothingPaidToReturn: ``refund`` or ``wallet`` on an invoice with nothing paid.
    """
    currency = invoice.currency
    open_balance = round_money(max(balance(invoice), ZERO), currency)
    if settlement is CreditNoteSettlement.REDUCE_BALANCE:
        if total > open_balance:
            raise CreditExceedsBalance(
                f"The credit note totals {total} {currency} but only {open_balance} is still "
                "open on the invoice; settle it with 'refund' or 'wallet' to give back what "
                "was paid.",
                details=[{"open_balance": str(open_balance), "credit_total": str(total)}],
            )
        return MoneySplit(balance_reduction=total)
    paid = round_money(invoice.amount_paid, currency)
    if paid <= 0:
        raise NothingPaidToReturn(
            f"Nothing was paid on this invoice, so nothing can be given back by {settlement}; "
            "settle the credit note with 'reduce_balance'."
        )
    given_back = min(total, paid)
    rest = total - given_back
    if rest > open_balance:
        raise CreditExceedsBalance(
            f"The credit note totals {total} {currency}: {given_back} paid can be given back "
            f"and {open_balance} is open, which leaves {rest - open_balance} uncovered.",
            details=[{"open_balance": str(open_balance), "credit_total": str(total)}],
        )
    if settlement is CreditNoteSettlement.REFUND:
        return MoneySplit(balance_reduction=rest, refunded=given_back)
    return MoneySplit(balance_reduction=rest, wallet=given_back)


@dataclass(frozen=True, slots=True)
class _Part:
    payment: Payment
    amount: Decimal


async def _paid_parts(
    session: AsyncSession,
    scope: AccessScope,
    invoice: Invoice,
    amount: Decimal,
    *,
    refunding: bool,
) -> list[_Part]:
    """Which payments on the invoice give back ``amount``: the newest first.

    Raises:
        RefundThroughProvider: a refund would have to take money from a card or SEPA payment.
    """
    parts: list[_Part] = []
    left = amount
    payments = await PaymentRepository(session, scope).for_invoice(invoice)
    transactions = TransactionRepository(session, scope)
    for payment, net in reversed(payments):
        if left <= 0:
            break
        if net <= 0:
            continue
        if refunding and payment.transaction_id is not None:
            attempt = await transactions.get(payment.transaction_id)
            if attempt is not None and attempt.provider in REFUNDED_BY_PROVIDER:
                raise RefundThroughProvider(
                    f"Payment {payment.reference} was made with {attempt.provider}, which gives "
                    f"the money back itself: refund it with POST /api/v1/admin/payments/"
                    f"{payment.id}/refund and credit_note: true.",
                    details=[{"payment_id": str(payment.id), "provider": attempt.provider}],
                )
        part = min(left, net)
        parts.append(_Part(payment, part))
        left -= part
    if left > 0:  # pragma: no cover - amount_paid equals the sum of the allocations
        raise NothingPaidToReturn("The invoice's payments do not cover the amount to give back.")
    return parts


async def issue(
    session: AsyncSession,
    *,
    scope: AccessScope,
    principal: Principal,
    invoice: Invoice,
    body: CreditNoteCreate,
) -> CreditNote:
    """Issue the credit note ``body`` describes on a locked invoice and move its money.

    Everything is checked before anything is written; the transaction commits all of it or
    none of it.
    """
    prepared = await credit_note_service.prepare(session, scope=scope, invoice=invoice, body=body)
    split = split_for(invoice, prepared.total, body.settlement)
    given_back = split.refunded + split.wallet
    parts: list[_Part] = []
    if given_back > 0:
        parts = await _paid_parts(
            session,
            scope,
            invoice,
            given_back,
            refunding=body.settlement is CreditNoteSettlement.REFUND,
        )
    credit_note = await credit_note_service.issue(
        session,
        scope=scope,
        prepared=prepared,
        reason=body.reason,
        settlement=body.settlement,
        split=split,
        created_by=principal.key,
        issue_date=body.issue_date,
    )
    for part in parts:
        if body.settlement is CreditNoteSettlement.REFUND:
            await _refund(session, scope, invoice, part, credit_note, principal.key)
        else:
            await move_to_wallet(
                session,
                invoice=invoice,
                payment=part.payment,
                amount=part.amount,
                credit_note_id=credit_note.id,
                recorded_by=principal.key,
            )
    await credit_note_service.settle(session, invoice=invoice, prepared=prepared)
    return credit_note


async def _refund(
    session: AsyncSession,
    scope: AccessScope,
    invoice: Invoice,
    part: _Part,
    credit_note: CreditNote,
    recorded_by: str,
) -> None:
    payment = part.payment
    repository = PaymentRepository(session, scope)
    await advisory_lock(session, f"refund:{payment.id}")
    await record_refund(
        session,
        payment=payment,
        plan=RefundPlan(from_invoices=[(invoice, part.amount)], from_wallet=ZERO),
        amount=part.amount,
        reason=f"Credit note {credit_note.credit_note_number}: {credit_note.reason}"[:500],
        recorded_by=recorded_by,
        # Money that came out of the wallet goes back into it, not to the customer.
        back_to_wallet=payment.method == Method.WALLET,
        credit_notes={invoice.id: credit_note.id},
    )
    if payment.transaction_id is not None:
        if await repository.refunded_total(payment) >= payment.amount:
            attempt = await TransactionRepository(session, scope).get(payment.transaction_id)
            if attempt is not None:
                attempt.status = TransactionStatus.REFUNDED
                await session.flush()


# -- credit notes of refunds ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefundCredit:
    """A refund asked for credit notes: their reason and author."""

    reason: str
    created_by: str | None


@dataclass(frozen=True, slots=True)
class IssuedCredit:
    """A credit note issued for one invoice's part of a refund."""

    prepared: PreparedCredit
    credit_note: CreditNote


async def check_refund_parts(
    session: AsyncSession, *, scope: AccessScope, parts: Sequence[tuple[Invoice, Decimal]]
) -> None:
    """Refuse, before any money moves, a refund whose credit notes could not be issued."""
    for invoice, amount in parts:
        await credit_note_service.prepare_amount(
            session, scope=scope, invoice=invoice, amount=amount
        )


async def credit_refund_parts(
    session: AsyncSession,
    *,
    scope: AccessScope,
    parts: Sequence[tuple[Invoice, Decimal]],
    request: RefundCredit,
    into_wallet: bool,
    strict: bool,
) -> list[IssuedCredit]:
    """Issue one credit note per (locked invoice, amount) of a refund about to be recorded.

    ``strict`` (the refund has not happened yet): any refusal is raised and nothing happens.
    Otherwise (the provider already gave the money back) a credit note that cannot be issued
    any more is skipped and logged, inside a savepoint, so the refund itself is still recorded.
    """
    settlement = CreditNoteSettlement.WALLET if into_wallet else CreditNoteSettlement.REFUND
    issued: list[IssuedCredit] = []
    for invoice, amount in parts:
        try:
            async with session.begin_nested():
                prepared = await credit_note_service.prepare_amount(
                    session, scope=scope, invoice=invoice, amount=amount
                )
                split = (
                    MoneySplit(balance_reduction=ZERO, wallet=amount)
                    if into_wallet
                    else MoneySplit(balance_reduction=ZERO, refunded=amount)
                )
                credit_note = await credit_note_service.issue(
                    session,
                    scope=scope,
                    prepared=prepared,
                    reason=request.reason,
                    settlement=settlement,
                    split=split,
                    created_by=request.created_by,
                )
        except BillingError as exc:
            if strict:
                raise
            logger.warning(
                "credit_note_skipped",
                invoice_id=str(invoice.id),
                amount=str(amount),
                code=exc.code,
                reason=exc.detail_message,
            )
            continue
        issued.append(IssuedCredit(prepared, credit_note))
    return issued


async def settle_refund_credits(session: AsyncSession, issued: Sequence[IssuedCredit]) -> None:
    """The invoices' lifecycle once the refund behind their credit notes is recorded."""
    for item in issued:
        await credit_note_service.settle(
            session, invoice=item.prepared.invoice, prepared=item.prepared
        )


def credit_note_ids(issued: Sequence[IssuedCredit]) -> dict[uuid.UUID, uuid.UUID]:
    """Invoice id -> credit note id, for the refund's allocations."""
    return {item.prepared.invoice.id: item.credit_note.id for item in issued}
