"""Every SQL statement about payment accounts (operator configuration: no tenant, no RLS)."""

from __future__ import annotations

import uuid

from billing.core.keyset import SortOrder
from billing.core.pagination import PageOf, PageParams
from billing.core.repository import Repository
from billing.models.payment_link import PaymentAccount

IDENTIFIER_CONSTRAINT = "uq_payment_accounts_identifier"
LINK_ACCOUNT_CONSTRAINT = "fk_payment_links_payment_account_id_payment_accounts"


class PaymentAccountRepository(Repository[PaymentAccount]):
    """Payment accounts."""

    model = PaymentAccount

    async def get(self, account_id: uuid.UUID) -> PaymentAccount | None:
        """One account."""
        return await self.get_one_or_none(
            self.base_statement().where(PaymentAccount.id == account_id)
        )

    async def get_many(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, PaymentAccount]:
        """The accounts among ``ids``, by id (one statement)."""
        if not ids:
            return {}
        rows = await self.get_all(self.base_statement().where(PaymentAccount.id.in_(ids)))
        return {row.id: row for row in rows}

    async def by_identifier(self, identifier: str) -> PaymentAccount | None:
        """The account merchants name with ``identifier``."""
        return await self.get_one_or_none(
            self.base_statement().where(PaymentAccount.identifier == identifier)
        )

    async def list_page(self, *, active: bool | None, page: PageParams) -> PageOf[PaymentAccount]:
        """A page of accounts by identifier."""
        statement = self.base_statement()
        if active is not None:
            statement = statement.where(PaymentAccount.active.is_(active))
        return await self.paginate(
            statement, page, SortOrder("identifier", PaymentAccount.identifier, PaymentAccount.id)
        )

    async def delete(self, account: PaymentAccount) -> None:
        """Remove the row (a link still pointing at it fails the flush)."""
        await self.session.delete(account)
        await self.session.flush()
