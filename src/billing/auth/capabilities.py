"""Capabilities: resolving what an unauthenticated caller names to one object, and the scope
narrowed to it.

Public routes (checkout, public invoice pages, payment status) and provider deliveries have no
principal. What they hold is a capability: an invoice number or public id, a payment reference,
a provider's id for one of our attempts. Each is resolved by a database function that reads
across tenants for that one statement only (see the ``billing_*_ref`` functions of migration
c0ffee000008) and returns ids, never rows; the caller then works under a ``public`` scope of
that one tenant and object. No public route, job or delivery ever holds the admin scope.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.tenancy import AccessScope, apply_scope


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One object and the tenant that owns it."""

    tenant_id: uuid.UUID
    id: uuid.UUID


async def _resolve_one(
    session: AsyncSession, function: str, params: dict[str, object]
) -> ObjectRef | None:
    arguments = ", ".join(f":{name}" for name in params)
    rows = (
        await session.execute(text(f"SELECT tenant_id, id FROM {function}({arguments})"), params)
    ).all()
    if len(rows) != 1:
        return None
    return ObjectRef(tenant_id=rows[0].tenant_id, id=rows[0].id)


async def invoice_by_number(session: AsyncSession, number: str) -> ObjectRef | None:
    """The invoice with this number (numbers are unique across tenants)."""
    return await _resolve_one(session, "billing_invoice_ref_by_number", {"p_number": number})


async def invoice_by_public_id(session: AsyncSession, public_id: str) -> ObjectRef | None:
    """The invoice behind a public page id."""
    return await _resolve_one(
        session, "billing_invoice_ref_by_public_id", {"p_public_id": public_id}
    )


async def attempt_by_provider_ref(
    session: AsyncSession, provider: str, provider_ref: str
) -> ObjectRef | None:
    """Our payment attempt that a provider knows by ``provider_ref``."""
    return await _resolve_one(
        session, "billing_attempt_ref", {"p_provider": provider, "p_provider_ref": provider_ref}
    )


async def attempt_by_reference(session: AsyncSession, reference: str) -> ObjectRef | None:
    """A payment attempt by its public reference (``TXN-...``)."""
    return await _resolve_one(
        session, "billing_attempt_ref_by_reference", {"p_reference": reference}
    )


async def cod_by_id(session: AsyncSession, cod_id: uuid.UUID) -> ObjectRef | None:
    """A cash-on-delivery payment by its id."""
    return await _resolve_one(session, "billing_cod_ref", {"p_id": cod_id})


async def method_by_setup_ref(
    session: AsyncSession, provider: str, setup_ref: str
) -> ObjectRef | None:
    """A saved method by the provider's id of its setup (SetupIntent, first payment)."""
    return await _resolve_one(
        session, "billing_setup_ref", {"p_provider": provider, "p_setup_ref": setup_ref}
    )


async def method_by_provider_ref(
    session: AsyncSession, provider: str, provider_ref: str
) -> ObjectRef | None:
    """A saved method by the provider's id of the method (PaymentMethod, mandate)."""
    return await _resolve_one(
        session, "billing_method_ref", {"p_provider": provider, "p_provider_ref": provider_ref}
    )


async def open_attempts(
    session: AsyncSession, *, created_before: datetime, limit: int
) -> list[ObjectRef]:
    """Provider attempts still open that were created before ``created_before``, oldest first
    (the sweep's work list; ids only)."""
    rows = (
        await session.execute(
            text("SELECT tenant_id, id FROM billing_open_attempt_refs(:p_before, :p_limit)"),
            {"p_before": created_before, "p_limit": limit},
        )
    ).all()
    return [ObjectRef(tenant_id=row.tenant_id, id=row.id) for row in rows]


async def narrow(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    invoice_id: uuid.UUID | None = None,
    attempt_id: uuid.UUID | None = None,
) -> AccessScope:
    """Work from now on as one object of one tenant (RLS: that tenant only)."""
    scope = AccessScope.public(tenant_id, invoice_id=invoice_id, attempt_id=attempt_id)
    await apply_scope(session, scope)
    return scope


async def for_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> AccessScope:
    """Work from now on as the tenant a job resolved (the billing cycle renewing and
    collecting that tenant's own subscriptions): the tenant's rows only."""
    scope = AccessScope.tenant(tenant_id)
    await apply_scope(session, scope)
    return scope


async def open_inbox(session: AsyncSession) -> None:
    """Let this transaction read and write the provider inbox (``webhook_events``)."""
    await session.execute(text("SELECT set_config('app.inbox', 'on', true)"))


async def operator_scope(session: AsyncSession) -> AccessScope:
    """The operator-wide scope, for maintenance commands run by the operator itself (the demo
    seed), never for a request or a job."""
    scope = AccessScope.admin()
    await apply_scope(session, scope)
    return scope


async def due_deliveries(session: AsyncSession, *, before: datetime, limit: int) -> list[ObjectRef]:
    """Pending deliveries whose attempt was due before ``before`` (the sweep's work list:
    jobs lost to a crash; ids only)."""
    rows = (
        await session.execute(
            text("SELECT tenant_id, id FROM billing_due_delivery_refs(:p_before, :p_limit)"),
            {"p_before": before, "p_limit": limit},
        )
    ).all()
    return [ObjectRef(tenant_id=row.tenant_id, id=row.id) for row in rows]


async def reminder_invoices(
    session: AsyncSession, *, due_from: date, due_to: date, after: uuid.UUID, limit: int
) -> list[ObjectRef]:
    """Open invoices (issued or sent) due between two days, by id after ``after`` (the
    reminder job's work list; ids only)."""
    rows = (
        await session.execute(
            text(
                "SELECT tenant_id, id FROM"
                " billing_reminder_invoice_refs(:p_from, :p_to, :p_after, :p_limit)"
            ),
            {"p_from": due_from, "p_to": due_to, "p_after": after, "p_limit": limit},
        )
    ).all()
    return [ObjectRef(tenant_id=row.tenant_id, id=row.id) for row in rows]
