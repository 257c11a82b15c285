"""Charging an invoice to a saved method, with the payer absent (off-session / recurring).

The attempt row is created before the provider is called, and its id is the source of the
provider's idempotency key (Stripe ``{attempt}:payment_intent``, Mollie a UUID derived from it),
so a repeated call for the same attempt can never charge twice. Failures are *returned*, not
raised, so that the failed attempt is committed with its reason.

When is the invoice paid? Only on the provider's word: a Stripe PaymentIntent ``succeeded`` in
the create answer counts (it is Stripe's authenticated answer to our own request); Mollie's
create answer is read back with ``get_payment`` before it counts. A SEPA debit stays
``processing`` until the webhook (or the sweep's poll) brings the final status.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.errors import BillingError
from billing.core.tenancy import AccessScope
from billing.invoices.service import invoice as invoice_service
from billing.models.invoice import Invoice
from billing.models.ledger import PaymentTransaction
from billing.models.payment_method import PaymentMethod
from billing.models.states import PaymentMethodStatus, TransactionStatus
from billing.payments.attempts import attempt_amount, online_provider
from billing.payments.callback_urls import CallbackUrls
from billing.payments.errors import (
    InvoiceAlreadyPaid,
    NoDefaultPaymentMethod,
    PaymentFailed,
    PaymentInProgress,
    PaymentMethodNotActive,
    upstream_error,
)
from billing.payments.events import emit_failed_attempt
from billing.payments.ledger import check_payable, invoice_balance, new_reference, try_advisory_lock
from billing.payments.links.guard import check_can_start
from billing.payments.methods.repository import PaymentMethodRepository
from billing.payments.methods.service import payment_method as payment_method_service
from billing.payments.repository import TransactionRepository
from billing.payments.settlement.service import OPEN, settlement
from billing.providers.base import (
    Amount,
    CustomerRef,
    PaymentRequest,
    PaymentResult,
    PaymentStatus,
    ProviderError,
    ProviderKey,
)
from billing.providers.registry import ProviderFactory
from billing.settings.service import settings as settings_service

# Attempts that did not take the money; the answer is 402 with the reason.
_DECLINED = frozenset(
    {
        TransactionStatus.FAILED,
        TransactionStatus.CANCELLED,
        TransactionStatus.EXPIRED,
    }
)


@dataclass(frozen=True, slots=True)
class Charged:
    """An attempt on a saved method; ``error`` is set when it did not take the money."""

    attempt: PaymentTransaction
    method: PaymentMethod
    invoice: Invoice
    result: PaymentResult | None
    error: BillingError | None = None


_CHARGE_NAMESPACE = uuid.UUID("4f0b9c2e-58a1-4c1e-9a57-2b8f6f3f2a10")


def charge_attempt_id(
    invoice: Invoice, method: PaymentMethod, amount: Decimal, earlier_attempts: int
) -> uuid.UUID:
    """The attempt id of a charge, derived from what is being charged.

    The provider's idempotency key comes from the attempt id. If the process dies after the
    provider charged but before our commit, nothing of the attempt survives; the retry then
    derives the same id (same invoice, method, amount, amount already paid and number of
    committed attempts), so the provider replays the first charge instead of making a second.
    Once an attempt is committed (failed, say), the count moves on and a new key is used.
    """
    parts = (invoice.id, method.id, amount, invoice.amount_paid, earlier_attempts)
    return uuid.uuid5(_CHARGE_NAMESPACE, ":".join(str(part) for part in parts))


class ChargeService:
    """Merchant-initiated charges of saved methods."""

    async def charge(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        providers: ProviderFactory,
        invoice_id: uuid.UUID,
        method_id: uuid.UUID | None,
        amount: Decimal | None,
        initiated_by: str,
        callbacks: CallbackUrls,
        attempt_id: uuid.UUID | None = None,
    ) -> Charged:
        """Charge an invoice to one of its tenant's saved methods (default if unnamed).

        One charge of an invoice runs at a time, and a second one does not wait: it answers
        409 at once. The provider is called holding no row lock; what it answers is applied by
        settlement, which locks the attempt and the invoice only then.

        ``attempt_id`` names the attempt (and so the provider's idempotency key) when the
        caller derives it itself: subscription collection derives it from the invoice and the
        retry number, so a retry replayed after a crash is the same charge at the provider.
        """
        if not await try_advisory_lock(session, f"charge:{invoice_id}"):
            raise PaymentInProgress("Another charge of this invoice is in progress.")
        invoice = await invoice_service.get(session, scope=scope, invoice_id=invoice_id)
        check_payable(invoice)
        due = invoice_balance(invoice)
        if due <= 0:
            raise InvoiceAlreadyPaid
        method = await self._method(session, scope, invoice.tenant_id, method_id)
        key = ProviderKey(method.provider)
        settings_service.check_payment_method(await settings_service.get(session), key.value)
        await check_can_start(session, scope=scope, invoice=invoice, method=key.value)
        plugin = online_provider(providers, key, invoice.currency)
        charge_amount = attempt_amount(invoice, due, amount)
        await self._no_open_charge(session, scope, invoice)
        earlier = await TransactionRepository(session, scope).for_invoice(invoice.id)
        attempt = PaymentTransaction(
            id=attempt_id or charge_attempt_id(invoice, method, charge_amount, len(earlier)),
            tenant_id=invoice.tenant_id,
            reference=new_reference("TXN"),
            invoice_id=invoice.id,
            method=key.value,
            provider=key.value,
            amount=charge_amount,
            currency=invoice.currency,
            status=TransactionStatus.PENDING,
            gateway_data={
                "payment_method_id": str(method.id),
                "method_type": method.method_type,
                "off_session": True,
            },
            created_by=initiated_by,
        )
        await TransactionRepository(session, scope).add(attempt)
        request = PaymentRequest(
            attempt_id=str(attempt.id),
            reference=invoice.invoice_number or attempt.reference,
            amount=Amount(charge_amount, invoice.currency),
            description=f"Invoice {invoice.invoice_number}",
            customer=CustomerRef(
                tenant_id=str(invoice.tenant_id),
                name=str(invoice.buyer.get("name") or "Customer"),
                email=invoice.buyer.get("email"),
                provider_customer_id=method.provider_customer_id,
            ),
            callback_url=callbacks.webhook(key),
            saved_method_ref=method.provider_ref,
            metadata={"invoice_id": str(invoice.id), "payment_method_id": str(method.id)},
        )
        try:
            result = await plugin.create_payment(request)
        except ProviderError as exc:
            # Kept, not rolled back: the attempt and its failure are part of the audit trail.
            attempt.status = TransactionStatus.FAILED
            attempt.failure_code = exc.code[:100]
            attempt.failure_message = exc.message[:500]
            await emit_failed_attempt(session, attempt)
            return Charged(
                attempt,
                method,
                invoice,
                None,
                upstream_error(plugin.display_name, exc, "the charge"),
            )
        attempt.provider_ref = result.provider_ref
        if not plugin.create_answer_settles and result.status not in (
            PaymentStatus.PENDING,
            PaymentStatus.PROCESSING,
        ):
            # This provider's word counts once fetched back (the read its webhook triggers).
            try:
                result = await plugin.get_payment(result.provider_ref)
            except ProviderError:
                result = _still_open(result)  # the webhook or the sweep's poll settles it
        extra: dict[str, object] = {
            key_: value for key_, value in result.raw.items() if isinstance(value, str | int)
        }
        if result.next_action is not None:
            # The kind only: a client secret is the payer's, not something to store.
            extra["next_action"] = result.next_action.kind
        await settlement.apply(
            session, scope=scope, attempt_id=attempt.id, result=result, gateway_data=extra
        )
        if attempt.status in _DECLINED:
            return Charged(attempt, method, invoice, result, _declined(attempt, method, result))
        return Charged(attempt, method, invoice, result)

    async def _method(
        self,
        session: AsyncSession,
        scope: AccessScope,
        tenant_id: uuid.UUID,
        method_id: uuid.UUID | None,
    ) -> PaymentMethod:
        if method_id is None:
            method = await PaymentMethodRepository(session, scope).default_for(tenant_id)
            if method is None:
                raise NoDefaultPaymentMethod
        else:
            method = await payment_method_service.get(
                session, scope=scope, method_id=method_id, tenant_id=tenant_id
            )
        if method.status != PaymentMethodStatus.ACTIVE or not method.provider_ref:
            raise PaymentMethodNotActive(
                f"This payment method is {method.status}; only active methods can be charged."
            )
        return method

    async def _no_open_charge(
        self, session: AsyncSession, scope: AccessScope, invoice: Invoice
    ) -> None:
        """Refuse a second saved-method charge while one is still open: both could succeed.

        The ``charge:<invoice>`` advisory lock (taken by ``charge``) serialises this check.
        """
        for attempt in await TransactionRepository(session, scope).for_invoice(invoice.id):
            if attempt.status in OPEN and (attempt.gateway_data or {}).get("payment_method_id"):
                raise PaymentInProgress(
                    f"Charge {attempt.reference} of this invoice is still {attempt.status}; "
                    "wait for the provider's answer."
                )


def _still_open(result: PaymentResult) -> PaymentResult:
    return PaymentResult(
        provider_ref=result.provider_ref,
        status=PaymentStatus.PENDING,
        raw_status=result.raw_status,
        raw=result.raw,
    )


def _declined(
    attempt: PaymentTransaction, method: PaymentMethod, result: PaymentResult
) -> PaymentFailed:
    action = result.next_action
    authenticate = attempt.failure_code == "authentication_required"
    message = (
        "The bank asks the cardholder to authenticate this payment; bring them back "
        "on-session with next_action."
        if authenticate
        else f"The payment was declined: {attempt.failure_message or attempt.failure_code}."
    )
    detail: dict[str, object] = {
        "reference": attempt.reference,
        "status": attempt.status,
        "provider": attempt.provider,
        "provider_ref": attempt.provider_ref,
        "payment_method_id": str(method.id),
        "failure_code": attempt.failure_code,
        "failure_message": attempt.failure_message,
        "decline_code": result.raw.get("decline_code"),
        "next_action": (
            {
                "kind": action.kind,
                "url": action.url,
                "client_secret": action.client_secret,
            }
            if action is not None
            else None
        ),
    }
    return PaymentFailed(message, details=[detail])


charge = ChargeService()
