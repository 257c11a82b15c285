"""Payment-link invoices (seed 004): create, read by number or transaction id, and the
operator's reconciliation views.

An invoice made here is a real invoice: the draft is created by the invoicing service from
catalog products, its link is inserted (the unique (merchant, transaction id) index decides
between concurrent requests before any number is taken), then it is issued and numbered in the
same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.auth.dependencies import Merchant
from billing.catalog.repository import ProductRepository
from billing.core.clock import utcnow
from billing.core.money import display_decimal, minor_unit, round_money
from billing.core.pagination import PageOf, PageParams
from billing.core.tenancy import AccessScope
from billing.invoices.presenter import (
    balance,
    effective_status,
    language_of,
    payment_status,
    public_url,
)
from billing.invoices.schemas import InvoiceCreate, InvoiceLanguage, LineInput, PaymentStatus
from billing.invoices.service import invoice as invoice_service
from billing.models.catalog import Product
from billing.models.invoice import Invoice
from billing.models.payment_link import PaymentAccount, PaymentLink
from billing.payments.accounts.repository import PaymentAccountRepository
from billing.payments.links.errors import (
    BadProduct,
    DuplicateTransactionId,
    PaymentAccountNotFound,
    PaymentInvoiceNotFound,
    ProductNotFound,
    TenantMissing,
    TenantNotFound,
)
from billing.payments.links.guard import is_expired
from billing.payments.links.notifications import PaymentLinkCreated, PaymentLinkNotifier
from billing.payments.links.repository import LatePayment, LinkSummary, PaymentLinkRepository
from billing.payments.links.schemas import (
    CustomerRead,
    InvoiceKind,
    PaymentInvoiceCreate,
    PaymentInvoiceRead,
    PaymentItemRead,
    SeedLanguage,
    SeedPaymentStatus,
)
from billing.tenants.errors import TenantNotFound as TenantNotVisible
from billing.tenants.service import tenant as tenant_service


@dataclass(frozen=True, slots=True)
class LinkedInvoice:
    """A payment-link invoice: its link, the invoice with its lines, the account's name."""

    link: PaymentLink
    invoice: Invoice
    account_identifier: str


class PaymentLinkService:
    """Seed 004's invoices."""

    async def create(
        self,
        session: AsyncSession,
        *,
        merchant: Merchant,
        body: PaymentInvoiceCreate,
        base_url: str,
        notifier: PaymentLinkNotifier | None,
    ) -> LinkedInvoice:
        """Create and issue the invoice of a merchant's payment request.

        Raises:
            DuplicateTransactionId: the merchant used ``transactionId`` before (also when
                another request with it commits first).
            PaymentAccountNotFound, ProductNotFound, BadProduct, TenantMissing,
            TenantNotFound: as their names say; and the invoicing errors (currency not
            enabled, seller incomplete).
        """
        scope = merchant.scope
        tenant_id = await self._tenant(session, merchant, body.tenantId)
        links = PaymentLinkRepository(session, scope)
        if await links.by_transaction(merchant.key, body.transactionId) is not None:
            raise DuplicateTransactionId
        account = await PaymentAccountRepository(session).by_identifier(
            body.paymentAccountIdentifier
        )
        if account is None or not account.active:
            raise PaymentAccountNotFound(
                f"No payment account '{body.paymentAccountIdentifier}' exists under the merchant."
            )
        products = await self._products(session, body)
        if not merchant.is_operator:
            _check_catalog_prices(body, products, account)
        language = body.language or SeedLanguage.EN
        invoice = await invoice_service.create(
            session,
            scope=scope,
            principal=merchant.principal,
            body=InvoiceCreate(
                tenant_id=tenant_id,
                currency=account.currency,
                notes=body.description,
                language=InvoiceLanguage(language.value.lower()),
                items=[
                    LineInput(
                        product_id=products[item.code].id,
                        quantity=Decimal(item.quantity),
                        unit_price=item.unitAmount,
                    )
                    for item in body.paymentItems
                ],
            ),
        )
        customer = body.customer.model_dump(exclude_none=True) if body.customer else {}
        link = PaymentLink(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            invoice_id=invoice.id,
            merchant=merchant.key,
            transaction_id=body.transactionId,
            payment_account_id=account.id,
            expires_at=body.expiryAt,
            description=body.description,
            customer=customer,
            created_by=merchant.principal.key,
            created_at=utcnow(),
        )
        # Before the number is taken: a duplicate must neither wait for nor consume one.
        if not await links.insert_if_absent(link):
            raise DuplicateTransactionId
        await invoice_service.issue(session, scope=scope, invoice=invoice)
        if notifier is not None:
            await notifier.payment_link_created(
                session, _created_event(link, invoice, public_url(base_url, invoice.public_id))
            )
        return LinkedInvoice(link=link, invoice=invoice, account_identifier=account.identifier)

    async def by_number(
        self, session: AsyncSession, *, merchant: Merchant, invoice_number: str
    ) -> LinkedInvoice:
        """The merchant's invoice with this number (404 for anybody else's)."""
        link = await PaymentLinkRepository(session, merchant.scope).by_invoice_number(
            merchant.key, invoice_number
        )
        return await self._linked(session, merchant.scope, link)

    async def by_transaction(
        self, session: AsyncSession, *, merchant: Merchant, transaction_id: str
    ) -> LinkedInvoice:
        """The merchant's invoice created with this transaction id."""
        link = await PaymentLinkRepository(session, merchant.scope).by_transaction(
            merchant.key, transaction_id
        )
        return await self._linked(session, merchant.scope, link)

    async def list(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        tenant_id: uuid.UUID | None,
        expired: bool,
        page: PageParams,
    ) -> PageOf[LinkSummary]:
        """Links of the scope (staff), newest first; ``expired`` keeps expired ones."""
        return await PaymentLinkRepository(session, scope).list_page(
            tenant_id=tenant_id,
            expired_before=utcnow() if expired else None,
            page=page,
        )

    async def late_payments(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        tenant_id: uuid.UUID | None,
        page: PageParams,
    ) -> PageOf[LatePayment]:
        """Payments completed after their invoice's link expired, for reconciliation."""
        return await PaymentLinkRepository(session, scope).late_payments(
            tenant_id=tenant_id, page=page
        )

    async def _linked(
        self, session: AsyncSession, scope: AccessScope, link: PaymentLink | None
    ) -> LinkedInvoice:
        if link is None:
            raise PaymentInvoiceNotFound
        invoice = await invoice_service.get(session, scope=scope, invoice_id=link.invoice_id)
        account = await PaymentAccountRepository(session).get(link.payment_account_id)
        assert account is not None  # the foreign key keeps it
        return LinkedInvoice(link=link, invoice=invoice, account_identifier=account.identifier)

    async def _tenant(
        self, session: AsyncSession, merchant: Merchant, named: uuid.UUID | None
    ) -> uuid.UUID:
        if merchant.tenant_id is not None:
            if named is not None and named != merchant.tenant_id:
                raise TenantNotFound("A tenant's key invoices its own tenant only.")
            return merchant.tenant_id
        if named is None:
            raise TenantMissing
        try:
            tenant = await tenant_service.get(session, scope=merchant.scope, tenant_id=named)
        except TenantNotVisible:
            raise TenantNotFound(f"No tenant {named} exists under the merchant.") from None
        return tenant.id

    async def _products(
        self, session: AsyncSession, body: PaymentInvoiceCreate
    ) -> dict[str, Product]:
        codes = [item.code for item in body.paymentItems]
        found = await ProductRepository(session).get_many_by_code(codes)
        missing = sorted({code for code in codes if code not in found or not found[code].active})
        if missing:
            raise ProductNotFound(
                f"No product {', '.join(repr(code) for code in missing)} exists under the merchant."
            )
        return found


def _check_catalog_prices(
    body: PaymentInvoiceCreate, products: dict[str, Product], account: PaymentAccount
) -> None:
    """A tenant invoicing itself pays the catalog price: it cannot choose its own."""
    for index, item in enumerate(body.paymentItems):
        product = products[item.code]
        if product.currency != account.currency or product.unit_price != item.unitAmount:
            raise BadProduct(
                f"paymentItems[{index}]: a tenant's key buys {product.code} at its catalog "
                f"price, {display_decimal(product.unit_price)} {product.currency}; the "
                f"payment account is in {account.currency}."
            )


def _created_event(link: PaymentLink, invoice: Invoice, url: str) -> PaymentLinkCreated:
    customer = link.customer or {}
    return PaymentLinkCreated(
        tenant_id=invoice.tenant_id,
        invoice_id=invoice.id,
        invoice_number=str(invoice.invoice_number),
        transaction_id=link.transaction_id,
        payment_link_url=url,
        amount_due=round_money(balance(invoice), invoice.currency),
        currency=invoice.currency,
        expires_at=link.expires_at,
        language=language_of(invoice).value,
        customer_name=customer.get("name"),
        customer_email=customer.get("email"),
        customer_phone=customer.get("phoneNumber"),
    )


def present(
    linked: LinkedInvoice, *, base_url: str, today: date, now: datetime | None = None
) -> PaymentInvoiceRead:
    """Seed 004's representation of a payment-link invoice, with its current status."""
    link, invoice = linked.link, linked.invoice
    currency = invoice.currency
    customer = link.customer or {}
    language = language_of(invoice)
    return PaymentInvoiceRead(
        invoiceNumber=str(invoice.invoice_number),
        transactionId=link.transaction_id,
        paymentAccountIdentifier=linked.account_identifier,
        paymentItems=[
            PaymentItemRead(
                code=line.sku or "",
                quantity=int(line.quantity),
                unitAmount=display_decimal(line.unit_price, min_places=minor_unit(currency)),
            )
            for line in invoice.items
        ],
        paymentStatus=(
            SeedPaymentStatus.PAID
            if payment_status(invoice) is PaymentStatus.PAID
            else SeedPaymentStatus.NEW
        ),
        amount=invoice.subtotal,
        currency=currency,
        type=InvoiceKind.SINGLE,
        createdAt=link.created_at,
        updatedAt=invoice.updated_at,
        expiryAt=link.expires_at.astimezone(UTC) if link.expires_at else None,
        customer=CustomerRead(
            email=customer.get("email"),
            phoneNumber=customer.get("phoneNumber"),
            name=customer.get("name"),
        )
        if customer
        else None,
        description=link.description,
        paymentLinkUrl=public_url(base_url, invoice.public_id),
        language=SeedLanguage(language.value.upper())
        if language.value.upper() in SeedLanguage.__members__
        else SeedLanguage.EN,
        tenantId=invoice.tenant_id,
        invoiceId=invoice.id,
        invoiceStatus=effective_status(invoice, today),
        taxAmount=invoice.tax_amount,
        totalAmount=invoice.total_amount,
        amountPaid=invoice.amount_paid,
        amountDue=balance(invoice),
        expired=is_expired(link, now),
    )


payment_link = PaymentLinkService()
