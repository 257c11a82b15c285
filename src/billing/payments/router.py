"""Payment routes: admin ledger operations, tenant wallet, public checkout and status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import Request
from pydantic import Field

from billing.auth import capabilities
from billing.auth.dependencies import (
    CurrentPrincipal,
    StaffScope,
    TenantScope,
    require,
)
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, ListResponse, error_responses
from billing.core.errors import render_error
from billing.core.gated_router import GatedRouter
from billing.core.money import round_money
from billing.core.pagination import Page
from billing.core.ratelimit import RateLimited
from billing.core.schemas import IsoDate, MoneyString, ReadSchema, WriteSchema
from billing.core.session import Session
from billing.invoices.credit_notes.errors import (
    CreditAmountUnreachable,
    CreditExceedsRemaining,
    CreditNoteInvalid,
    InvoiceNotCreditable,
    NothingToCredit,
)
from billing.invoices.dependencies import PresentationDep, StaffInvoice, StaffInvoiceForUpdate
from billing.invoices.errors import InvoiceNotFound
from billing.invoices.schemas import CashTransactionRead
from billing.models.invoice import Invoice
from billing.models.ledger import CodPayment, PaymentTransaction, WalletEntry
from billing.models.payment import Payment
from billing.models.states import CodStatus, Method, TransactionStatus
from billing.payments import refunds
from billing.payments.checkout.schemas import InvoiceCapability
from billing.payments.checkout.service import checkout as checkout_service
from billing.payments.cod import cod as cod_service
from billing.payments.cod import wrong_code_error
from billing.payments.consolidation import consolidate
from billing.payments.dependencies import Providers
from billing.payments.errors import (
    AmountExceedsBalance,
    AmountGivenRequired,
    AmountGivenTooLow,
    CodAlreadyOpen,
    CodExpired,
    CodLocked,
    CodNotFound,
    CodStateConflict,
    InsufficientWalletBalance,
    InvalidPaymentAmount,
    InvalidVerificationCode,
    InvoiceAlreadyPaid,
    InvoiceNotPayable,
    NothingToConsolidate,
    PaymentMethodNotSupported,
    PaymentMethodRequired,
    PaymentNotFound,
    ProviderFailed,
    ProviderNotConfigured,
    ProviderTimeout,
    RefundExceedsRefundable,
    RefundInProgress,
    TransactionNotFound,
    UnknownPaymentMethod,
)
from billing.payments.ledger import Receipt, invoice_balance
from billing.payments.links.errors import PaymentLinkExpired, PaymentMethodNotAccepted
from billing.payments.repository import TransactionFilters
from billing.payments.schemas import (
    AppliedAmount,
    ApplyWalletRequest,
    CashPaid,
    CashPayRequest,
    ConsolidateRequest,
    ConsolidationResult,
    PaymentCreate,
    PaymentRead,
    PaymentRecorded,
    PublicPaymentStatus,
    QuickPayRequest,
    QuickPayResult,
    RefundRead,
    RefundRequest,
    TransactionRead,
    WalletBalance,
    WalletEntryRead,
    WalletRead,
)
from billing.payments.service import payment as payment_service
from billing.routing import TransactionalRoute
from billing.settings.errors import CurrencyNotEnabled, PaymentMethodNotEnabled
from billing.settings.service import settings as settings_service
from billing.tenants.errors import TenantNotFound
from billing.tenants.service import tenant as tenant_service
from billing.throttling import policies, throttle

admin_router = GatedRouter(tags=["payments"], route_class=TransactionalRoute)
tenant_router = GatedRouter(tags=["billing-wallet"], route_class=TransactionalRoute)
public_router = GatedRouter(tags=["checkout"], route_class=TransactionalRoute)

Reads = [require(Permission.PAYMENTS_READ)]
Writes = [require(Permission.PAYMENTS_WRITE)]
PAYMENT_ERRORS = (
    InvoiceNotFound,
    AmountExceedsBalance,
    InvalidPaymentAmount,
    InvoiceNotPayable,
    PaymentMethodNotEnabled,
    UnknownPaymentMethod,
    InsufficientWalletBalance,
)


def _payment_read(payment: Payment, allocated: Decimal | None = None) -> PaymentRead:
    read = PaymentRead.model_validate(payment)
    return read.updated(allocated_amount=allocated)


def _recorded(receipt: Receipt, presentation: PresentationDep, invoice: Invoice) -> PaymentRecorded:
    return PaymentRecorded(
        invoice=presentation.read(invoice),
        payment=_payment_read(receipt.payment, receipt.allocations[0].amount),
        transaction=TransactionRead.model_validate(receipt.transaction),
    )


@admin_router.post(
    "/invoices/{invoice_id}/payments",
    name="payments_create",
    status_code=201,
    dependencies=Writes,
    responses=error_responses(*PAYMENT_ERRORS),
)
async def record_payment(
    body: PaymentCreate,
    invoice: StaffInvoiceForUpdate,
    principal: CurrentPrincipal,
    session: Session,
    presentation: PresentationDep,
) -> ApiResponse[PaymentRecorded]:
    """Record a (partial) payment; repeat until the balance is 0 and the invoice is paid."""
    receipt = await payment_service.record(session, principal=principal, invoice=invoice, body=body)
    return ApiResponse(data=_recorded(receipt, presentation, invoice))


@admin_router.get(
    "/invoices/{invoice_id}/payments",
    name="payments_list_for_invoice",
    dependencies=Reads,
    responses=error_responses(InvoiceNotFound),
)
async def list_invoice_payments(
    invoice: StaffInvoice, scope: StaffScope, session: Session
) -> ApiResponse[list[PaymentRead]]:
    """Payments on an invoice, oldest first, with what each left on it after refunds."""
    rows = await payment_service.for_invoice(session, scope=scope, invoice=invoice)
    return ApiResponse(data=[_payment_read(payment, net) for payment, net in rows])


_CASH_PAY_ERRORS = error_responses(
    InvoiceNotFound,
    PaymentMethodRequired,
    PaymentMethodNotEnabled,
    AmountGivenRequired,
    AmountGivenTooLow,
    InvoiceAlreadyPaid,
    InvoiceNotPayable,
    PaymentMethodNotSupported,
)


@admin_router.post(
    "/invoices/{invoice_id}/pay",
    name="invoices_pay_cash",
    dependencies=Writes,
    responses=_CASH_PAY_ERRORS,
)
async def pay_invoice_cash(
    body: CashPayRequest,
    invoice: StaffInvoiceForUpdate,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    presentation: PresentationDep,
) -> ApiResponse[CashPaid]:
    """Pay the whole balance in cash; the answer has the change to give back (seed 001)."""
    cash = await payment_service.cash_pay(
        session, scope=scope, principal=principal, invoice=invoice, body=body
    )
    return ApiResponse(
        data=CashPaid(
            message="Invoice paid successfully",
            invoice=presentation.read(invoice),
            cash_transaction=CashTransactionRead.model_validate(cash),
        )
    )


@admin_router.post(
    "/invoices/{invoice_id}/apply-wallet",
    name="invoices_apply_wallet",
    dependencies=Writes,
    responses=error_responses(*PAYMENT_ERRORS, InvoiceAlreadyPaid),
)
async def apply_wallet(
    invoice: StaffInvoiceForUpdate,
    principal: CurrentPrincipal,
    session: Session,
    presentation: PresentationDep,
    body: ApplyWalletRequest | None = None,
) -> ApiResponse[PaymentRecorded]:
    """Pay an invoice from the tenant's wallet (as much as both allow unless an amount is set)."""
    receipt = await payment_service.apply_wallet(
        session, principal=principal, invoice=invoice, body=body or ApplyWalletRequest()
    )
    return ApiResponse(data=_recorded(receipt, presentation, invoice))


@admin_router.post(
    "/tenants/{tenant_id}/quick-pay",
    name="tenants_quick_pay",
    dependencies=Writes,
    responses=error_responses(
        TenantNotFound,
        InvalidPaymentAmount,
        PaymentMethodNotEnabled,
        UnknownPaymentMethod,
        CurrencyNotEnabled,
    ),
)
async def quick_pay(
    tenant_id: uuid.UUID,
    body: QuickPayRequest,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
) -> ApiResponse[QuickPayResult]:
    """Apply one amount to the tenant's open invoices, oldest due first; excess to the wallet."""
    outcome = await payment_service.quick_pay(
        session, scope=scope, principal=principal, tenant_id=tenant_id, body=body
    )
    return ApiResponse(
        data=QuickPayResult(
            payment=_payment_read(outcome.payment),
            currency=outcome.payment.currency,
            applied=[
                AppliedAmount(
                    invoice_id=invoice.id,
                    invoice_number=invoice.invoice_number,
                    currency=invoice.currency,
                    amount=amount,
                    balance_after=invoice_balance(invoice),
                )
                for invoice, amount in outcome.applied
            ],
            wallet_credit=outcome.wallet_credit,
            remaining=outcome.wallet_credit,
            open_balance=outcome.open_balance,
        )
    )


@admin_router.post(
    "/tenants/{tenant_id}/consolidate",
    name="tenants_consolidate",
    dependencies=Writes,
    responses=error_responses(TenantNotFound, NothingToConsolidate),
)
async def consolidate_invoices(
    tenant_id: uuid.UUID,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    presentation: PresentationDep,
    body: ConsolidateRequest | None = None,
) -> ApiResponse[ConsolidationResult]:
    """Merge the tenant's open unpaid invoices of one currency into one new issued invoice."""
    merged, voided = await consolidate(
        session,
        scope=scope,
        principal=principal,
        tenant_id=tenant_id,
        body=body or ConsolidateRequest(),
    )
    return ApiResponse(
        data=ConsolidationResult(
            consolidated_invoice=presentation.read(merged), voided_invoice_ids=voided
        )
    )


def _wallet(
    tenant_id: uuid.UUID, balances: dict[str, Decimal], entries: Sequence[WalletEntry]
) -> WalletRead:
    return WalletRead(
        tenant_id=tenant_id,
        balances=[
            WalletBalance(currency=currency, balance=amount)
            for currency, amount in balances.items()
        ],
        entries=[WalletEntryRead.model_validate(entry) for entry in entries],
    )


@admin_router.get(
    "/tenants/{tenant_id}/wallet",
    name="tenants_wallet",
    dependencies=Reads,
    responses=error_responses(TenantNotFound),
)
async def tenant_wallet(
    tenant_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[WalletRead]:
    """A tenant's wallet: balance per currency and the latest 50 entries."""
    await tenant_service.get(session, scope=scope, tenant_id=tenant_id)
    balances, entries = await payment_service.wallet(session, scope=scope, tenant_id=tenant_id)
    return ApiResponse(data=_wallet(tenant_id, balances, entries))


@tenant_router.get(
    "/wallet", name="billing_wallet_get", dependencies=[require(Permission.BILLING_READ)]
)
async def my_wallet(scope: TenantScope, session: Session) -> ApiResponse[WalletRead]:
    """The caller's wallet balance per currency and its latest entries."""
    assert scope.tenant_id is not None
    balances, entries = await payment_service.wallet(
        session, scope=scope, tenant_id=scope.tenant_id
    )
    return ApiResponse(data=_wallet(scope.tenant_id, balances, entries))


@admin_router.post(
    "/payments/{payment_id}/refund",
    name="payments_refund",
    status_code=201,
    dependencies=Writes,
    responses=error_responses(
        PaymentNotFound,
        RefundExceedsRefundable,
        InvalidPaymentAmount,
        InsufficientWalletBalance,
        PaymentMethodNotSupported,
        RefundInProgress,
        InvoiceNotCreditable,
        NothingToCredit,
        CreditExceedsRemaining,
        CreditAmountUnreachable,
        CreditNoteInvalid,
        ProviderFailed,
        ProviderTimeout,
        ProviderNotConfigured,
    ),
)
async def refund_payment(
    payment_id: uuid.UUID,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    providers: Providers,
    body: RefundRequest | None = None,
) -> ApiResponse[RefundRead]:
    """Refund all or part of a payment; the invoices' balances and statuses follow.

    Stripe and Mollie payments are refunded through the provider: ``status`` is ``succeeded``
    once the ledger has it, or ``pending`` until the provider confirms (then the ledger records
    it from the webhook). With ``credit_note: true`` each invoice the money comes from gets a
    credit note of exactly its part (``credit_note_ids``).
    """
    recorded = await refunds.refund(
        session,
        scope=scope,
        principal=principal,
        providers=providers,
        payment_id=payment_id,
        body=body or RefundRequest(),
    )
    read = RefundRead.model_validate(recorded.refund)
    credit_notes = [credit_note.id for credit_note in recorded.credit_notes]
    return ApiResponse(data=read.model_copy(update={"credit_note_ids": credit_notes}))


# -- transaction monitoring ----------------------------------------------------------------


@admin_router.get("/transactions", name="transactions_list", dependencies=Reads)
async def list_transactions(
    scope: StaffScope,
    session: Session,
    page: Page,
    status: TransactionStatus | None = None,
    method: Method | None = None,
    tenant_id: uuid.UUID | None = None,
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
) -> ListResponse[TransactionRead]:
    """Payment attempts of every method and provider, newest first."""
    operator = await settings_service.get(session)
    filters = TransactionFilters(
        status=status,
        method=method,
        tenant_id=tenant_id,
        date_from=date_from,
        date_to=date_to,
        timezone=operator.timezone,
    )
    result = await payment_service.transactions(session, scope=scope, filters=filters, page=page)
    return ListResponse.from_page(result, page=page, read=TransactionRead.model_validate)


@admin_router.get(
    "/transactions/invoice/{invoice_id}",
    name="transactions_for_invoice",
    dependencies=Reads,
    responses=error_responses(InvoiceNotFound),
)
async def invoice_transactions(
    invoice_id: uuid.UUID, scope: StaffScope, session: Session
) -> ApiResponse[list[TransactionRead]]:
    """Every payment attempt on one invoice."""
    items = await payment_service.invoice_transactions(session, scope=scope, invoice_id=invoice_id)
    return ApiResponse(data=[TransactionRead.model_validate(item) for item in items])


@admin_router.get(
    "/transactions/{reference}",
    name="transactions_get",
    dependencies=Reads,
    responses=error_responses(TransactionNotFound),
)
async def get_transaction(
    reference: str, scope: StaffScope, session: Session
) -> ApiResponse[TransactionRead]:
    """One payment attempt with its gateway data."""
    found = await payment_service.transaction(session, scope=scope, reference=reference)
    return ApiResponse(data=TransactionRead.model_validate(found))


@public_router.get(
    "/payments/{reference}/status",
    name="payments_status",
    responses=error_responses(TransactionNotFound),
)
async def payment_status(reference: str, session: Session) -> ApiResponse[PublicPaymentStatus]:
    """The unified status of a payment attempt (no personal data)."""
    ref = await capabilities.attempt_by_reference(session, reference)
    if ref is None:
        raise TransactionNotFound
    scope = await capabilities.narrow(session, ref.tenant_id, attempt_id=ref.id)
    found = await payment_service.transaction(session, scope=scope, reference=reference)
    return ApiResponse(data=PublicPaymentStatus.model_validate(found))


# -- cash on delivery ----------------------------------------------------------------------


class CodCreate(InvoiceCapability):
    """Start a cash-on-delivery payment for an invoice (by its number or public id)."""


class CodRead(ReadSchema):
    """A cash-on-delivery payment (never its code)."""

    id: uuid.UUID
    invoice_number: str | None
    reference: str
    amount: MoneyString
    currency: str
    status: str
    failed_attempts: int
    expires_at: datetime
    collector: str | None
    delivery_agent_id: str | None
    collected_at: datetime | None
    verified_at: datetime | None
    instructions: str


class CodCreated(CodRead):
    """A new COD payment: ``verification_code`` is shown this once."""

    verification_code: str = Field(description="Give it to the customer; shown only once.")


class CodCollect(WriteSchema):
    """The agent has collected the cash."""

    collector: str | None = Field(default=None, max_length=200)
    delivery_agent_id: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)


class CodVerify(WriteSchema):
    """The customer's code."""

    verification_code: str = Field(min_length=4, max_length=12)


INSTRUCTIONS = (
    "Pay {amount} {currency} in cash to the delivery agent. Give the agent your verification "
    "code only after you have handed over the cash; the agent confirms the payment with it."
)


def _cod_read(cod: CodPayment, transaction: PaymentTransaction) -> CodRead:
    return CodRead(
        id=cod.id,
        invoice_number=(transaction.gateway_data or {}).get("invoice_number"),
        reference=transaction.reference,
        amount=transaction.amount,
        currency=transaction.currency,
        status=cod.status,
        failed_attempts=cod.failed_attempts,
        expires_at=cod.expires_at,
        collector=cod.collector,
        delivery_agent_id=cod.delivery_agent_id,
        collected_at=cod.collected_at,
        verified_at=cod.verified_at,
        instructions=INSTRUCTIONS.format(
            amount=round_money(transaction.amount, transaction.currency),
            currency=transaction.currency,
        ),
    )


@public_router.post(
    "/payments/cod/create",
    name="cod_create",
    status_code=201,
    responses=error_responses(
        InvoiceNotFound,
        InvoiceNotPayable,
        InvoiceAlreadyPaid,
        PaymentMethodNotEnabled,
        CodAlreadyOpen,
        PaymentLinkExpired,
        PaymentMethodNotAccepted,
    ),
)
async def create_cod(
    body: CodCreate, session: Session, request: Request
) -> ApiResponse[CodCreated]:
    """Choose cash on delivery at checkout; the answer carries the one-time code."""
    payable = await checkout_service.payable(
        session, number=body.invoice_number, public_id=body.public_id
    )
    created = await cod_service.create(
        session,
        scope=payable.scope,
        invoice_id=payable.invoice.id,
        config=request.app.state.settings,
    )
    read = _cod_read(created.cod, created.transaction)
    return ApiResponse(
        data=CodCreated(**read.model_dump(), verification_code=created.verification_code)
    )


@public_router.get(
    "/payments/cod/{cod_id}/instructions",
    name="cod_instructions",
    responses=error_responses(CodNotFound),
)
async def cod_instructions(cod_id: uuid.UUID, session: Session) -> ApiResponse[CodRead]:
    """How to pay on delivery, and the current state (never the code)."""
    ref = await capabilities.cod_by_id(session, cod_id)
    if ref is None:
        raise CodNotFound
    scope = await capabilities.narrow(session, ref.tenant_id)
    cod, transaction = await cod_service.get(session, scope=scope, cod_id=cod_id)
    return ApiResponse(data=_cod_read(cod, transaction))


@admin_router.post(
    "/payments/cod/{cod_id}/collect",
    name="cod_collect",
    dependencies=Writes,
    responses=error_responses(CodNotFound, CodStateConflict, CodLocked, CodExpired),
)
async def collect_cod(
    cod_id: uuid.UUID, body: CodCollect, scope: StaffScope, session: Session
) -> ApiResponse[CodRead]:
    """Record that the delivery agent collected the cash."""
    cod, transaction = await cod_service.collect(
        session,
        scope=scope,
        cod_id=cod_id,
        collector=body.collector,
        delivery_agent_id=body.delivery_agent_id,
        notes=body.notes,
    )
    return ApiResponse(data=_cod_read(cod, transaction))


@admin_router.post(
    "/payments/cod/{cod_id}/verify",
    name="cod_verify",
    dependencies=Writes,
    response_model=ApiResponse[CodRead],
    responses=error_responses(
        CodNotFound, CodStateConflict, CodLocked, CodExpired, InvalidVerificationCode, RateLimited
    ),
)
async def verify_cod(
    cod_id: uuid.UUID,
    body: CodVerify,
    scope: StaffScope,
    principal: CurrentPrincipal,
    session: Session,
    request: Request,
) -> Any:
    """Check the customer's code: the right one settles the invoice, five wrong ones lock it.

    Tries are also limited per COD payment (429 ``rate_limited``), whoever sends them.
    """
    await throttle(request, policies(request).cod_verify, str(cod_id))
    cod, transaction = await cod_service.verify(
        session,
        scope=scope,
        principal=principal,
        cod_id=cod_id,
        code=body.verification_code,
        config=request.app.state.settings,
    )
    if cod.status != CodStatus.VERIFIED:
        # Returned, not raised: the failed attempt must be committed to count towards the lock.
        return render_error(wrong_code_error(cod))
    return ApiResponse(data=_cod_read(cod, transaction))
