"""M-Pesa C2B: customers paying the Paybill with an invoice number as account reference.

A C2B confirmation is unsigned and its format is public, so its body never moves money:

1. the confirmation (token, our shortcode) is stored; its job asks Daraja's Transaction Status
   API about the ``TransID`` (the answer comes back asynchronously to our result URL);
2. the answer (token) is stored; its job checks that Daraja completed that transaction, for
   the same amount, to our shortcode, and only then records the payment on the invoice the
   account reference names (or, if that invoice can no longer take it, on the tenant's wallet).

Without a configured initiator (``BILLING_MPESA_INITIATOR_NAME`` and
``BILLING_MPESA_SECURITY_CREDENTIAL``) nothing can be confirmed: confirmations are held for
reconciliation (``outcome = held_for_reconciliation``) and listed for staff.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth import capabilities
from billing.config import Settings
from billing.invoices.repository import InvoiceRepository
from billing.models.ledger import PaymentTransaction
from billing.models.states import Method, TransactionStatus
from billing.models.webhook_event import WebhookEvent
from billing.payments.callback_urls import mpesa_status_result_url
from billing.payments.ledger import PAYABLE_STATUSES, invoice_balance, new_reference
from billing.payments.repository import TransactionRepository
from billing.payments.settlement.service import settlement
from billing.payments.webhooks.inbox import InboxRepository
from billing.providers.base import (
    Amount,
    CallbackEvent,
    CallbackKind,
    PaymentResult,
    PaymentStatus,
    ProviderError,
    ProviderKey,
    ProviderUnavailableError,
)
from billing.providers.mpesa import MpesaProvider
from billing.providers.registry import ProviderFactory

_KES = "KES"


class C2BOutcome(StrEnum):
    """Where a C2B confirmation stands."""

    AWAITING_CONFIRMATION = "awaiting_confirmation"
    HELD_FOR_RECONCILIATION = "held_for_reconciliation"
    NOT_CONFIRMED = "not_confirmed"
    AMOUNT_MISMATCH = "amount_mismatch"
    UNMATCHED_ACCOUNT_REFERENCE = "unmatched_account_reference"
    UNMATCHED_CONFIRMATION = "unmatched_confirmation"


async def c2b_accepts(session: AsyncSession, *, event: CallbackEvent) -> bool:
    """Validation: take the money only for an open KES invoice named by its number."""
    reference = str(event.data.get("account_reference") or "")
    ref = await capabilities.invoice_by_number(session, reference) if reference else None
    if ref is None:
        return False
    scope = await capabilities.narrow(session, ref.tenant_id, invoice_id=ref.id)
    invoice = await InvoiceRepository(session, scope).get(ref.id)
    if invoice is None or invoice.currency != _KES or invoice.status not in PAYABLE_STATUSES:
        return False
    amount = event.reported_amount.value if event.reported_amount else Decimal(0)
    return 0 < amount <= invoice_balance(invoice)


async def request_confirmation(
    session: AsyncSession,
    *,
    providers: ProviderFactory,
    settings: Settings,
    base_url: str,
    confirmation: WebhookEvent,
) -> str:
    """Ask Daraja to confirm a stored C2B confirmation; returns its new outcome.

    If Daraja's answer is already in the inbox (it can overtake this job), apply it now.
    """
    inbox = InboxRepository(session)
    answer = await inbox.find(
        ProviderKey.MPESA.value, CallbackKind.TRANSACTION_STATUS, confirmation.provider_ref or ""
    )
    if answer is not None:
        return await apply_confirmation(session, providers=providers, answer=answer)
    plugin = providers.build_as(ProviderKey.MPESA, MpesaProvider)
    if not plugin.config.status_queries_configured:
        return C2BOutcome.HELD_FOR_RECONCILIATION
    result_url = mpesa_status_result_url(base_url, settings)
    try:
        await plugin.request_transaction_status(
            confirmation.provider_ref or "",
            result_url=result_url,
            timeout_url=result_url,
            occasion=str(confirmation.id),
        )
    except ProviderUnavailableError:
        raise  # the job is retried
    except ProviderError as exc:
        return f"{C2BOutcome.HELD_FOR_RECONCILIATION}:{exc.code}"
    return C2BOutcome.AWAITING_CONFIRMATION


async def apply_confirmation(
    session: AsyncSession, *, providers: ProviderFactory, answer: WebhookEvent
) -> str:
    """Daraja answered our Transaction Status query: apply the C2B payment it confirms.

    Returns the outcome of the held confirmation, which is updated too.
    """
    inbox = InboxRepository(session)
    confirmation = await inbox.find(
        ProviderKey.MPESA.value, CallbackKind.C2B_CONFIRMATION, answer.provider_ref or ""
    )
    if confirmation is None:
        return C2BOutcome.UNMATCHED_CONFIRMATION
    outcome = await _apply_confirmed(session, providers, confirmation, answer)
    await inbox.mark_processed(confirmation.id, outcome)
    return outcome


async def _apply_confirmed(
    session: AsyncSession,
    providers: ProviderFactory,
    confirmation: WebhookEvent,
    answer: WebhookEvent,
) -> str:
    said = answer.payload.get("data") or {}
    status = str(said.get("transaction_status") or "")
    if str(said.get("result_code")) != "0" or status.lower() != "completed":
        return C2BOutcome.NOT_CONFIRMED
    claimed = _amount(confirmation.payload.get("reported_amount"))
    confirmed = _amount(answer.payload.get("reported_amount"))
    if claimed is None or confirmed is None or claimed != confirmed:
        return C2BOutcome.AMOUNT_MISMATCH
    config = providers.build_as(ProviderKey.MPESA, MpesaProvider).config
    # Daraja names the credited party "<shortcode> - <name>": the money must have reached us.
    credit_party = str(said.get("credit_party") or "")
    if not config.shortcode or not credit_party.startswith(f"{config.shortcode} "):
        return C2BOutcome.NOT_CONFIRMED
    reference = str((confirmation.payload.get("data") or {}).get("account_reference") or "")
    return await _record(session, confirmation.provider_ref or "", reference, confirmed)


async def _record(session: AsyncSession, trans_id: str, reference: str, amount: Decimal) -> str:
    """Record a confirmed C2B payment once: one attempt per ``TransID``."""
    ref = await capabilities.invoice_by_number(session, reference) if reference else None
    if ref is None:
        return C2BOutcome.UNMATCHED_ACCOUNT_REFERENCE
    scope = await capabilities.narrow(session, ref.tenant_id, invoice_id=ref.id)
    invoice = await InvoiceRepository(session, scope).get(ref.id)
    if invoice is None or invoice.currency != _KES:
        return C2BOutcome.UNMATCHED_ACCOUNT_REFERENCE
    repository = TransactionRepository(session, scope)
    attempt = await repository.by_provider_ref(ProviderKey.MPESA.value, trans_id)
    if attempt is None:
        attempt = await repository.add(
            PaymentTransaction(
                id=uuid.uuid4(),
                tenant_id=invoice.tenant_id,
                reference=new_reference("TXN"),
                invoice_id=invoice.id,
                method=Method.MPESA,
                provider=ProviderKey.MPESA.value,
                provider_ref=trans_id,
                amount=amount,
                currency=_KES,
                status=TransactionStatus.PENDING,
                gateway_data={"channel": "c2b", "account_reference": reference},
            )
        )
    # Daraja's own Transaction Status answer, not the confirmation's body, is the truth here.
    confirmed = PaymentResult(
        provider_ref=trans_id,
        status=PaymentStatus.SUCCEEDED,
        raw_status="transaction_status_completed",
        amount=Amount(amount, _KES),
        provider_receipt=trans_id,
    )
    outcome = await settlement.apply(session, scope=scope, attempt_id=attempt.id, result=confirmed)
    return outcome.value


def _amount(reported: object) -> Decimal | None:
    if not isinstance(reported, dict) or reported.get("currency") != _KES:
        return None
    try:
        return Decimal(str(reported.get("value")))
    except InvalidOperation:
        return None
