"""Every SQL statement about credit notes and their lines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from billing.models.credit_note import CreditNote, CreditNoteLine
from billing.repositories import ScopedRepository


@dataclass(frozen=True, slots=True)
class CreditNoteFilters:
    """List filters."""

    invoice_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None


class CreditNoteRepository(ScopedRepository[CreditNote]):
    """Credit notes visible in the request's scope, always with their lines."""

    model = CreditNote

    def eager_options(self) -> Sequence[ExecutableOption]:
        """Lines come with every credit note (one statement per query)."""
        return (selectinload(CreditNote.items),)

    def base_statement(
        self, *, eager: Sequence[ExecutableOption] | None = None
    ) -> Select[CreditNote]:
        """Credit notes of the scope; a public scope narrowed to an invoice sees its own."""
        statement = super().base_statement(eager=eager)
        if self.scope.invoice_id is not None:
            statement = statement.where(CreditNote.invoice_id == self.scope.invoice_id)
        return statement

    async def get(self, credit_note_id: uuid.UUID) -> CreditNote | None:
        """One visible credit note."""
        return await self.get_one_or_none(
            self.base_statement().where(CreditNote.id == credit_note_id)
        )

    async def for_invoice(
        self, tenant_id: uuid.UUID, invoice_id: uuid.UUID
    ) -> Sequence[CreditNote]:
        """Every credit note of one invoice, oldest first."""
        return await self.get_all(
            self.base_statement()
            .where(CreditNote.tenant_id == tenant_id, CreditNote.invoice_id == invoice_id)
            .order_by(CreditNote.created_at, CreditNote.id)
        )

    async def list_page(
        self, filters: CreditNoteFilters, *, page: int, per_page: int
    ) -> tuple[Sequence[CreditNote], int]:
        """A page of credit notes, newest first."""
        statement = self.base_statement()
        if filters.invoice_id is not None:
            statement = statement.where(CreditNote.invoice_id == filters.invoice_id)
        if filters.tenant_id is not None:
            statement = statement.where(CreditNote.tenant_id == filters.tenant_id)
        if filters.date_from is not None:
            statement = statement.where(CreditNote.issue_date >= filters.date_from)
        if filters.date_to is not None:
            statement = statement.where(CreditNote.issue_date <= filters.date_to)
        statement = statement.order_by(
            CreditNote.issue_date.desc(), CreditNote.created_at.desc(), CreditNote.id
        )
        return await self.paginate(statement, page=page, per_page=per_page)

    async def add(self, credit_note: CreditNote, lines: Sequence[CreditNoteLine]) -> CreditNote:
        """Write a credit note and its lines, and read it back with its lines loaded."""
        self.session.add(credit_note)
        await self.session.flush()
        self.session.add_all(lines)
        await self.session.flush()
        found = await self.get_one_or_none(
            self.base_statement()
            .where(CreditNote.tenant_id == credit_note.tenant_id, CreditNote.id == credit_note.id)
            .execution_options(populate_existing=True)
        )
        assert found is not None
        return found
