"""Payment accounts: create, read, change, delete (operator configuration)."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.catalog.repository import violated_constraint
from billing.core.pagination import PageOf, PageParams
from billing.models.payment_link import PaymentAccount
from billing.payments.accounts.errors import (
    PaymentAccountIdentifierTaken,
    PaymentAccountInUse,
    PaymentAccountNotFound,
)
from billing.payments.accounts.repository import (
    IDENTIFIER_CONSTRAINT,
    LINK_ACCOUNT_CONSTRAINT,
    PaymentAccountRepository,
)
from billing.payments.accounts.schemas import PaymentAccountCreate, PaymentAccountUpdate

_REQUIRED = ("identifier", "name", "currency", "accepted_methods", "active")


class PaymentAccountService:
    """The operator's payment accounts."""

    async def create(self, session: AsyncSession, *, body: PaymentAccountCreate) -> PaymentAccount:
        """A new account with a unique identifier."""
        account = PaymentAccount(
            id=uuid.uuid4(),
            identifier=body.identifier,
            name=body.name,
            currency=body.currency,
            accepted_methods=[method.value for method in body.accepted_methods],
            active=body.active,
        )
        repository = PaymentAccountRepository(session)
        await repository.create(account, flush=False)
        await self._flush(repository, account.identifier)
        return account

    async def get(self, session: AsyncSession, *, account_id: uuid.UUID) -> PaymentAccount:
        """An account, or ``PaymentAccountNotFound``."""
        account = await PaymentAccountRepository(session).get(account_id)
        if account is None:
            raise PaymentAccountNotFound
        return account

    async def list(
        self, session: AsyncSession, *, active: bool | None, page: PageParams
    ) -> PageOf[PaymentAccount]:
        """A page of accounts."""
        return await PaymentAccountRepository(session).list_page(active=active, page=page)

    async def update(
        self, session: AsyncSession, *, account_id: uuid.UUID, body: PaymentAccountUpdate
    ) -> PaymentAccount:
        """Apply the fields that were sent (null leaves a required field as it is)."""
        account = await self.get(session, account_id=account_id)
        changes = body.model_dump(exclude_unset=True)
        for field in _REQUIRED:
            if field in changes and changes[field] is None:
                changes.pop(field)
        if "accepted_methods" in changes:
            changes["accepted_methods"] = [str(method) for method in changes["accepted_methods"]]
        for field, value in changes.items():
            setattr(account, field, value)
        await self._flush(PaymentAccountRepository(session), account.identifier)
        return account

    async def delete(self, session: AsyncSession, *, account_id: uuid.UUID) -> None:
        """Delete an account no invoice was created on (409 otherwise: deactivate it)."""
        account = await self.get(session, account_id=account_id)
        try:
            await PaymentAccountRepository(session).delete(account)
        except IntegrityError as exc:
            # The foreign key decides, across every tenant's links, even concurrent ones.
            if violated_constraint(exc) == LINK_ACCOUNT_CONSTRAINT:
                raise PaymentAccountInUse from exc
            raise

    async def _flush(self, repository: PaymentAccountRepository, identifier: str) -> None:
        try:
            await repository.flush()
        except IntegrityError as exc:
            if violated_constraint(exc) == IDENTIFIER_CONSTRAINT:
                raise PaymentAccountIdentifierTaken(
                    f"Another payment account already has the identifier '{identifier}'."
                ) from exc
            raise


payment_account = PaymentAccountService()
