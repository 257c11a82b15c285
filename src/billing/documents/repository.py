"""Every SQL statement of the documents domain: stored renditions, public lookups, payments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, TypeVar

from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from billing.models.credit_note import CREDIT_NOTE_RENDITION_CONSTRAINT, CreditNoteDocument
from billing.models.document import RENDITION_CONSTRAINT, StoredDocument
from billing.models.invoice import Invoice
from billing.models.payment import Payment, PaymentAllocation
from billing.renderers import RenderedDocument
from billing.repositories import ScopedRepository


@dataclass(frozen=True, slots=True)
class RenditionKey:
    """What identifies one stored rendition of an invoice or a credit note."""

    tenant_id: uuid.UUID
    document_id: uuid.UUID
    format: str
    paper_size: str
    renderer_version: int
    presentation_key: str


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """One payment applied to an invoice, as the public page lists it."""

    paid_at: datetime
    method: str
    amount: Decimal


Rendition = TypeVar("Rendition", StoredDocument, CreditNoteDocument)


class RenditionRepository(ScopedRepository[Rendition]):
    """Rendered files of one kind of document (invoices or credit notes) visible in the scope,
    each stored once per ``RenditionKey``."""

    document_column: ClassVar[str]
    """The column naming the rendered document (``invoice_id``, ``credit_note_id``)."""
    unique_constraint: ClassVar[str]

    def _key_columns(self, key: RenditionKey) -> dict[str, object]:
        return {
            "tenant_id": key.tenant_id,
            self.document_column: key.document_id,
            "format": key.format,
            "paper_size": key.paper_size,
            "renderer_version": key.renderer_version,
            "presentation_key": key.presentation_key,
        }

    async def find(self, key: RenditionKey) -> Rendition | None:
        """The stored rendition, if it was rendered before."""
        return await self.get_one_or_none(
            self.base_statement().where(
                *(
                    getattr(self.model, name) == value
                    for name, value in self._key_columns(key).items()
                )
            )
        )

    async def insert_if_absent(self, key: RenditionKey, rendered: RenderedDocument) -> None:
        """Store ``rendered`` unless a concurrent request stored this rendition first.

        ``ON CONFLICT DO NOTHING`` waits for a concurrent insert of the same key to commit
        and then skips, so the first writer wins and nobody fails.
        """
        statement = (
            insert(self.model)
            .values(
                id=uuid.uuid4(),
                **self._key_columns(key),
                sha256=rendered.sha256,
                media_type=rendered.media_type,
                filename=rendered.filename,
                content=rendered.content,
            )
            .on_conflict_do_nothing(constraint=self.unique_constraint)
        )
        await self.session.execute(statement)


class StoredDocumentRepository(RenditionRepository[StoredDocument]):
    """Rendered documents of the invoices visible in the scope."""

    model = StoredDocument
    document_column = "invoice_id"
    unique_constraint = RENDITION_CONSTRAINT


class CreditNoteDocumentRepository(RenditionRepository[CreditNoteDocument]):
    """Rendered documents of the credit notes visible in the scope."""

    model = CreditNoteDocument
    document_column = "credit_note_id"
    unique_constraint = CREDIT_NOTE_RENDITION_CONSTRAINT


class PublicInvoiceRepository(ScopedRepository[Invoice]):
    """Invoices looked up by their public id (the capability printed as a QR code)."""

    model = Invoice

    def eager_options(self) -> Sequence[ExecutableOption]:
        """Lines come with the invoice: the page and the PDF show them."""
        return (selectinload(Invoice.items),)

    async def get_by_public_id(self, public_id: str) -> Invoice | None:
        """The invoice with this public id, or ``None``."""
        return await self.get_one_or_none(
            self.base_statement().where(Invoice.public_id == public_id)
        )


class PaymentHistoryRepository(ScopedRepository[PaymentAllocation]):
    """Reads of the payments ledger for one invoice."""

    model = PaymentAllocation

    async def for_invoice(self, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> list[PaymentRecord]:
        """Every allocation to the invoice with its payment's date and method, oldest first."""
        statement = (
            select(Payment.paid_at, Payment.method, PaymentAllocation.amount)
            .join(
                Payment,
                and_(
                    Payment.tenant_id == PaymentAllocation.tenant_id,
                    Payment.id == PaymentAllocation.payment_id,
                ),
            )
            .where(
                PaymentAllocation.tenant_id == tenant_id,
                PaymentAllocation.invoice_id == invoice_id,
            )
            .order_by(Payment.paid_at, PaymentAllocation.created_at, PaymentAllocation.id)
        )
        clause = self.scope_clause()
        if clause is not None:
            statement = statement.where(clause)
        rows = await self.session.execute(statement)
        return [PaymentRecord(paid_at=row[0], method=row[1], amount=row[2]) for row in rows]
