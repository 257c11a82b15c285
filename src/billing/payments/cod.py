"""Cash on delivery: a one-time code, collection by an agent, verification settles it.

The code is shown once, when the COD payment is created, and stored only as an HMAC keyed
with the deployment secret, so neither the database nor the logs can reveal it. Five wrong
codes lock the delivery; codes expire after ``CODE_LIFETIME``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.principal import Principal
from billing.config import Settings
from billing.core.clock import utcnow
from billing.core.tenancy import AccessScope
from billing.invoices.service import invoice as invoice_service
from billing.models.ledger import CodPayment, PaymentTransaction
from billing.models.states import CodStatus, Method, TransactionStatus
from billing.payments.errors import (
    CodAlreadyOpen,
    CodExpired,
    CodLocked,
    CodNotFound,
    CodStateConflict,
    InvalidVerificationCode,
    InvoiceAlreadyPaid,
)
from billing.payments.ledger import check_payable, invoice_balance, new_reference, record_receipt
from billing.payments.links.guard import check_can_start
from billing.payments.repository import CodRepository, TransactionRepository
from billing.settings.service import settings as settings_service

MAX_ATTEMPTS = 5
CODE_LIFETIME = timedelta(days=7)


def hash_code(code: str, secret: str) -> str:
    """Keyed hash of a verification code (a 6-digit code must not be brute-forced offline)."""
    return hmac.new(secret.encode(), f"cod:{code}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class CodCreated:
    """A new COD payment with its code, shown this once."""

    cod: CodPayment
    transaction: PaymentTransaction
    verification_code: str


class CodService:
    """Create, collect and verify cash-on-delivery payments."""

    async def create(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        invoice_id: uuid.UUID,
        config: Settings,
    ) -> CodCreated:
        """Open a COD payment for an issued, unpaid invoice (public checkout, under a scope
        narrowed to that invoice)."""
        operator = await settings_service.get(session)
        settings_service.check_payment_method(operator, Method.CASH_ON_DELIVERY)
        invoice = await invoice_service.get(
            session, scope=scope, invoice_id=invoice_id, for_update=True
        )
        check_payable(invoice)
        if invoice_balance(invoice) <= 0:
            raise InvoiceAlreadyPaid
        await check_can_start(session, scope=scope, invoice=invoice, method=Method.CASH_ON_DELIVERY)
        for existing in await CodRepository(session, scope).open_for_invoice(invoice.id):
            # Expiry is applied on read: a pending code past its lifetime no longer counts.
            open_cod, attempt = await self.get(session, scope=scope, cod_id=existing.id, lock=True)
            if open_cod.status in (CodStatus.PENDING, CodStatus.COLLECTED):
                raise CodAlreadyOpen(
                    f"Cash on delivery {attempt.reference} is already {open_cod.status} for "
                    "this invoice; finish it (or let it expire) before opening another."
                )
        await session.flush()
        code = f"{secrets.randbelow(1_000_000):06d}"
        transaction = PaymentTransaction(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            reference=new_reference("COD"),
            invoice_id=invoice.id,
            method=Method.CASH_ON_DELIVERY,
            amount=invoice_balance(invoice),
            currency=invoice.currency,
            status=TransactionStatus.PENDING,
            gateway_data={"invoice_number": invoice.invoice_number},
        )
        cod = CodPayment(
            id=uuid.uuid4(),
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.id,
            transaction_id=transaction.id,
            code_hash=hash_code(code, config.jwt_secret.get_secret_value()),
            status=CodStatus.PENDING,
            failed_attempts=0,
            expires_at=utcnow() + CODE_LIFETIME,
        )
        await TransactionRepository(session, scope).add(transaction)
        await CodRepository(session, scope).create(cod)
        return CodCreated(cod, transaction, code)

    async def get(
        self, session: AsyncSession, *, scope: AccessScope, cod_id: uuid.UUID, lock: bool = False
    ) -> tuple[CodPayment, PaymentTransaction]:
        """A COD payment and its transaction (404 otherwise); expiry is applied on read."""
        cod = await CodRepository(session, scope).get(cod_id, for_update=lock)
        if cod is None:
            raise CodNotFound
        transaction = await TransactionRepository(session, scope).get(cod.transaction_id)
        assert transaction is not None
        if cod.status in (CodStatus.PENDING, CodStatus.COLLECTED) and cod.expires_at <= utcnow():
            cod.status = CodStatus.EXPIRED
            transaction.status = TransactionStatus.EXPIRED
        return cod, transaction

    async def collect(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        cod_id: uuid.UUID,
        collector: str | None,
        delivery_agent_id: str | None,
        notes: str | None,
    ) -> tuple[CodPayment, PaymentTransaction]:
        """The delivery agent has the cash."""
        cod, transaction = await self.get(session, scope=scope, cod_id=cod_id, lock=True)
        self._require_open(cod)
        if cod.status != CodStatus.PENDING:
            raise CodStateConflict(f"This delivery is already {cod.status}.")
        cod.status = CodStatus.COLLECTED
        cod.collector = collector
        cod.delivery_agent_id = delivery_agent_id
        cod.notes = notes
        cod.collected_at = utcnow()
        transaction.status = TransactionStatus.PROCESSING
        await session.flush()
        return cod, transaction

    async def verify(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        principal: Principal,
        cod_id: uuid.UUID,
        code: str,
        config: Settings,
    ) -> tuple[CodPayment, PaymentTransaction]:
        """Check the code; the right one settles the invoice, five wrong ones lock it.

        A wrong code is counted and committed before the error is returned, so the lockout
        holds across requests.
        """
        cod, transaction = await self.get(session, scope=scope, cod_id=cod_id, lock=True)
        self._require_open(cod)
        expected = cod.code_hash
        if not hmac.compare_digest(expected, hash_code(code, config.jwt_secret.get_secret_value())):
            cod.failed_attempts += 1
            if cod.failed_attempts >= MAX_ATTEMPTS:
                cod.status = CodStatus.LOCKED
                transaction.status = TransactionStatus.FAILED
                transaction.failure_code = "verification_locked"
            await session.flush()
            return cod, transaction
        invoice = await invoice_service.get(
            session, scope=scope, invoice_id=cod.invoice_id, for_update=True
        )
        amount = min(transaction.amount, invoice_balance(invoice))
        if amount <= 0:
            raise InvoiceAlreadyPaid
        await record_receipt(
            session,
            tenant_id=invoice.tenant_id,
            currency=invoice.currency,
            amount=amount,
            method=Method.CASH_ON_DELIVERY,
            allocations=[(invoice, amount)],
            recorded_by=principal.key,
            transaction=transaction,
        )
        cod.status = CodStatus.VERIFIED
        cod.verified_at = utcnow()
        cod.verified_by = principal.key
        await session.flush()
        return cod, transaction

    def _require_open(self, cod: CodPayment) -> None:
        if cod.status == CodStatus.LOCKED:
            raise CodLocked
        if cod.status == CodStatus.EXPIRED:
            raise CodExpired
        if cod.status == CodStatus.VERIFIED:
            raise CodStateConflict("This delivery is already verified.")


def wrong_code_error(cod: CodPayment) -> InvalidVerificationCode | CodLocked:
    """The error to answer after a wrong code (raised after the attempt is committed)."""
    if cod.status == CodStatus.LOCKED:
        return CodLocked()
    left = MAX_ATTEMPTS - cod.failed_attempts
    return InvalidVerificationCode(f"Wrong verification code; {left} attempt(s) left.")


cod = CodService()
