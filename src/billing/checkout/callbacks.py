"""Handling provider deliveries: M-Pesa STK results and C2B payments, Pesapal IPNs.

Each delivery is stored once in the inbox; what it claims is never trusted alone:

* an M-Pesa STK result must match a stored CheckoutRequestID, and a success its amount;
* a C2B confirmation must name an open invoice by its number (the account reference);
* a Pesapal IPN carries no status at all: the order is fetched back with GetTransactionStatus.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.checkout.inbox import mark_processed, store_event
from billing.checkout.settlement import apply_result
from billing.core.tenancy import AccessScope
from billing.invoices.repository import InvoiceRepository
from billing.models.ledger import PaymentTransaction
from billing.payments.ledger import (
    PAYABLE_STATUSES,
    Method,
    TransactionStatus,
    invoice_balance,
    new_reference,
)
from billing.payments.repository import TransactionRepository
from billing.providers.base import CallbackEvent, PaymentResult, PaymentStatus, ProviderKey
from billing.providers.registry import ProviderFactory


def _payload(body: bytes, query: Mapping[str, str]) -> dict[str, Any]:
    try:
        parsed = json.loads(body) if body.strip() else {}
    except ValueError:
        parsed = {"raw": body.decode("utf-8", "replace")[:4000]}
    return {"body": parsed, "query": dict(query)}


async def handle_mpesa(
    session: AsyncSession,
    *,
    scope: AccessScope,
    providers: ProviderFactory,
    body: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
) -> str:
    """Store and apply an STK callback or a C2B confirmation; returns the outcome."""
    event = await providers.mpesa().parse_callback(body, headers, query)
    event_id = await store_event(session, ProviderKey.MPESA.value, event, _payload(body, query))
    if event_id is None:
        return "duplicate"
    if event.kind == "c2b_confirmation":
        outcome = await _apply_c2b(session, scope, event)
    elif event.kind == "payment":
        outcome = await _apply_stk(session, scope, event)
    else:
        outcome = "ignored"
    await mark_processed(session, event_id, outcome)
    return outcome


async def _apply_stk(session: AsyncSession, scope: AccessScope, event: CallbackEvent) -> str:
    attempt = await TransactionRepository(session, scope).by_provider_ref(
        ProviderKey.MPESA.value, event.provider_ref, for_update=True
    )
    if attempt is None or event.reported_status is None:
        return "unknown_attempt"
    result = PaymentResult(
        provider_ref=event.provider_ref,
        status=event.reported_status,
        raw_status=str(event.data.get("result_code", "")),
        amount=event.reported_amount,
        failure_code=str(event.data.get("result_code"))
        if event.reported_status is not PaymentStatus.SUCCEEDED
        else None,
        failure_message=str(event.data.get("result_desc") or "") or None,
        provider_receipt=_str_or_none(event.data.get("receipt")),
        paid_at=event.occurred_at,
    )
    if result.status is PaymentStatus.SUCCEEDED and result.amount is None:
        return "amount_missing"
    data = {"receipt": result.provider_receipt} if result.provider_receipt else {}
    return await apply_result(
        session, scope=scope, attempt=attempt, result=result, gateway_data=data
    )


async def _apply_c2b(session: AsyncSession, scope: AccessScope, event: CallbackEvent) -> str:
    """A customer paid the Paybill with an invoice number as account reference."""
    reference = str(event.data.get("account_reference") or "")
    invoice = (
        await InvoiceRepository(session, scope).get_by_number(reference) if reference else None
    )
    if invoice is None or event.reported_amount is None:
        return "unmatched_account_reference"
    invoice = await InvoiceRepository(session, scope).get(invoice.id, for_update=True)
    assert invoice is not None
    amount = event.reported_amount.value
    attempt = PaymentTransaction(
        id=uuid.uuid4(),
        tenant_id=invoice.tenant_id,
        reference=new_reference("TXN"),
        invoice_id=invoice.id,
        method=Method.MPESA.value,
        provider=ProviderKey.MPESA.value,
        provider_ref=event.provider_ref,
        amount=amount,
        currency="KES",
        status=TransactionStatus.PENDING.value,
        gateway_data={"channel": "c2b", "account_reference": reference},
    )
    session.add(attempt)
    await session.flush()
    result = PaymentResult(
        provider_ref=event.provider_ref,
        status=PaymentStatus.SUCCEEDED,
        raw_status="c2b_confirmation",
        amount=event.reported_amount,
        provider_receipt=event.provider_ref,
        paid_at=event.occurred_at,
    )
    return await apply_result(session, scope=scope, attempt=attempt, result=result)


async def c2b_accepts(session: AsyncSession, *, scope: AccessScope, event: CallbackEvent) -> bool:
    """Validation: take the money only for an open KES invoice named by its number."""
    reference = str(event.data.get("account_reference") or "")
    invoice = (
        await InvoiceRepository(session, scope).get_by_number(reference) if reference else None
    )
    if invoice is None or invoice.currency != "KES" or invoice.status not in PAYABLE_STATUSES:
        return False
    amount = event.reported_amount.value if event.reported_amount else Decimal(0)
    return 0 < amount <= invoice_balance(invoice)


async def handle_pesapal(
    session: AsyncSession,
    *,
    scope: AccessScope,
    providers: ProviderFactory,
    body: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
) -> tuple[CallbackEvent, str]:
    """Store an IPN, fetch the order's status back and apply it; returns the outcome.

    A repeated IPN is stored once but still fetched: its status may have moved on (a reversal
    reuses the notification), and applying is idempotent under the attempt lock.
    """
    provider = providers.pesapal()
    event = await provider.parse_callback(body, headers, query)
    event_id = await store_event(session, ProviderKey.PESAPAL.value, event, _payload(body, query))
    attempt = await TransactionRepository(session, scope).by_provider_ref(
        ProviderKey.PESAPAL.value, event.provider_ref, for_update=True
    )
    if attempt is None:
        outcome = "unknown_attempt"
    else:
        result = await provider.get_payment(event.provider_ref)
        outcome = await apply_result(session, scope=scope, attempt=attempt, result=result)
    if event_id is not None:
        await mark_processed(session, event_id, outcome)
    return event, outcome


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
