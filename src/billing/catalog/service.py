"""Business rules for tax rates and products."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.catalog.errors import (
    InvalidTaxRate,
    ProductCodeTaken,
    ProductInUse,
    ProductNotFound,
    TaxRateInactive,
    TaxRateInUse,
    TaxRateNotFound,
    UnknownTaxRate,
)
from billing.catalog.prices.repository import PriceRepository
from billing.catalog.repository import (
    PRODUCT_CODE_CONSTRAINT,
    ProductRepository,
    TaxRateRepository,
    violated_constraint,
)
from billing.catalog.schemas import ProductCreate, ProductUpdate, TaxRateCreate, TaxRateUpdate
from billing.core.pagination import PageOf, PageParams
from billing.core.totals import VatCategory
from billing.models.catalog import Product, TaxRate

PRODUCT_TAX_RATE_CONSTRAINT = "fk_products_tax_rate_id_tax_rates"

_CATEGORY_NAMES = {
    VatCategory.STANDARD: "standard rate",
    VatCategory.ZERO_RATED: "zero rated",
    VatCategory.EXEMPT: "exempt",
    VatCategory.REVERSE_CHARGE: "reverse charge",
    VatCategory.INTRA_COMMUNITY: "intra-community supply",
    VatCategory.EXPORT: "export outside the EU",
    VatCategory.OUTSIDE_SCOPE: "outside the scope of VAT",
}

# The usual VATEX code of each category, quoted in error messages as a hint.
_TYPICAL_VATEX = {
    VatCategory.EXEMPT: "VATEX-EU-132-1A",
    VatCategory.REVERSE_CHARGE: "VATEX-EU-AE",
    VatCategory.INTRA_COMMUNITY: "VATEX-EU-IC",
    VatCategory.EXPORT: "VATEX-EU-G",
    VatCategory.OUTSIDE_SCOPE: "VATEX-EU-O",
}

# Fields that cannot be null; a null in a PATCH body leaves them unchanged.
_TAX_RATE_REQUIRED = ("name", "rate", "category", "active")
_PRODUCT_REQUIRED = ("code", "name", "unit_price", "currency", "unit_code", "active")


def check_tax_rate_rules(
    category: VatCategory,
    rate: Decimal,
    exemption_reason_code: str | None,
    exemption_reason: str | None,
) -> None:
    """The EN 16931 rules for one rate (BR-S-05, BR-Z-05, BR-E-05 ... and BR-*-10).

    Raises:
        InvalidTaxRate: the combination cannot appear on a valid e-invoice.
    """
    label = f"Category {category.value} ({_CATEGORY_NAMES[category]})"
    has_reason = exemption_reason_code is not None or exemption_reason is not None
    if category is VatCategory.STANDARD and rate <= 0:
        raise InvalidTaxRate(
            f"{label} needs a rate above 0; use category Z for zero-rated supplies."
        )
    if category is not VatCategory.STANDARD and rate != 0:
        raise InvalidTaxRate(f"{label} must have rate 0, not {rate}; use category S for {rate}%.")
    if category.needs_exemption_reason and not has_reason:
        raise InvalidTaxRate(
            f"{label} needs an exemption reason: send exemption_reason_code "
            f"(e.g. '{_TYPICAL_VATEX[category]}') or exemption_reason."
        )
    if not category.needs_exemption_reason and has_reason:
        raise InvalidTaxRate(
            f"{label} must not carry an exemption reason; "
            "remove exemption_reason_code and exemption_reason."
        )


class TaxRateService:
    """Create, read, change and delete the operator's tax rates."""

    async def create(self, session: AsyncSession, *, body: TaxRateCreate) -> TaxRate:
        """Create a tax rate that satisfies the EN 16931 category rules."""
        check_tax_rate_rules(
            body.category, body.rate, body.exemption_reason_code, body.exemption_reason
        )
        tax_rate = TaxRate(
            id=uuid.uuid4(),
            name=body.name,
            rate=body.rate,
            category=body.category.value,
            exemption_reason_code=body.exemption_reason_code,
            exemption_reason=body.exemption_reason,
            country_code=body.country_code,
            active=body.active,
        )
        return await TaxRateRepository(session).create(tax_rate)

    async def get(self, session: AsyncSession, *, tax_rate_id: uuid.UUID) -> TaxRate:
        """A tax rate, or ``TaxRateNotFound``."""
        tax_rate = await TaxRateRepository(session).get(tax_rate_id)
        if tax_rate is None:
            raise TaxRateNotFound
        return tax_rate

    async def list(
        self,
        session: AsyncSession,
        *,
        active: bool | None,
        category: VatCategory | None,
        country_code: str | None,
        page: PageParams,
    ) -> PageOf[TaxRate]:
        """A filtered page of tax rates."""
        return await TaxRateRepository(session).list_page(
            active=active,
            category=category,
            country_code=country_code,
            page=page,
        )

    async def update(
        self, session: AsyncSession, *, tax_rate_id: uuid.UUID, body: TaxRateUpdate
    ) -> TaxRate:
        """Apply the fields that were sent; the result must still satisfy the category rules."""
        tax_rate = await self.get(session, tax_rate_id=tax_rate_id)
        changes = body.model_dump(exclude_unset=True)
        for field in _TAX_RATE_REQUIRED:
            if field in changes and changes[field] is None:
                changes.pop(field)
        if "category" in changes:
            changes["category"] = VatCategory(changes["category"]).value
        merged = {
            field: changes.get(field, getattr(tax_rate, field))
            for field in ("category", "rate", "exemption_reason_code", "exemption_reason")
        }
        check_tax_rate_rules(
            VatCategory(merged["category"]),
            merged["rate"],
            merged["exemption_reason_code"],
            merged["exemption_reason"],
        )
        for field, value in changes.items():
            setattr(tax_rate, field, value)
        await TaxRateRepository(session).flush()
        return tax_rate

    async def delete(self, session: AsyncSession, *, tax_rate_id: uuid.UUID) -> None:
        """Delete a tax rate that no product uses (409 ``tax_rate_in_use`` otherwise)."""
        tax_rate = await self.get(session, tax_rate_id=tax_rate_id)
        in_use = await ProductRepository(session).count_using_tax_rate(tax_rate_id)
        if in_use:
            raise TaxRateInUse(
                f"{in_use} product(s) use this tax rate; reassign them or deactivate the rate "
                "(active: false) instead."
            )
        try:
            await TaxRateRepository(session).delete(tax_rate)
        except IntegrityError as exc:
            # A product took the rate between the count and the delete.
            if violated_constraint(exc) == PRODUCT_TAX_RATE_CONSTRAINT:
                raise TaxRateInUse from exc
            raise


class ProductService:
    """Create, read, change and delete the operator's products."""

    async def create(self, session: AsyncSession, *, body: ProductCreate) -> Product:
        """Create a product with a unique code and, optionally, an active tax rate."""
        await self._check_tax_rate(session, body.tax_rate_id)
        product = Product(
            id=uuid.uuid4(),
            code=body.code,
            name=body.name,
            description=body.description,
            unit_price=body.unit_price,
            currency=body.currency,
            tax_rate_id=body.tax_rate_id,
            unit_code=body.unit_code,
            active=body.active,
        )
        repository = ProductRepository(session)
        await repository.create(product, flush=False)
        await self._flush(repository, code=product.code)
        return product

    async def get(self, session: AsyncSession, *, product_id: uuid.UUID) -> Product:
        """A product, or ``ProductNotFound``."""
        product = await ProductRepository(session).get(product_id)
        if product is None:
            raise ProductNotFound
        return product

    async def list(
        self,
        session: AsyncSession,
        *,
        active: bool | None,
        q: str | None,
        currency: str | None,
        page: PageParams,
    ) -> PageOf[Product]:
        """A filtered page of products."""
        return await ProductRepository(session).list_page(
            active=active, q=q, currency=currency, page=page
        )

    async def update(
        self, session: AsyncSession, *, product_id: uuid.UUID, body: ProductUpdate
    ) -> Product:
        """Apply the fields that were sent."""
        product = await self.get(session, product_id=product_id)
        changes = body.model_dump(exclude_unset=True)
        for field in _PRODUCT_REQUIRED:
            if field in changes and changes[field] is None:
                changes.pop(field)
        new_tax_rate = changes.get("tax_rate_id")
        if new_tax_rate is not None and new_tax_rate != product.tax_rate_id:
            await self._check_tax_rate(session, new_tax_rate)
        for field, value in changes.items():
            setattr(product, field, value)
        await self._flush(ProductRepository(session), code=product.code)
        return product

    async def delete(self, session: AsyncSession, *, product_id: uuid.UUID) -> None:
        """Delete a product for good; issued invoices keep their own copy of its data.

        A product with recurring prices stays (subscriptions bill through it): 409
        ``product_in_use``.
        """
        product = await self.get(session, product_id=product_id)
        if await PriceRepository(session).count_for_product(product.id):
            raise ProductInUse
        await ProductRepository(session).delete(product)

    async def _check_tax_rate(self, session: AsyncSession, tax_rate_id: uuid.UUID | None) -> None:
        if tax_rate_id is None:
            return
        tax_rate = await TaxRateRepository(session).get(tax_rate_id)
        if tax_rate is None:
            raise UnknownTaxRate(f"Tax rate {tax_rate_id} does not exist.")
        if not tax_rate.active:
            raise TaxRateInactive

    async def _flush(self, repository: ProductRepository, *, code: str) -> None:
        # The unique index decides, so two concurrent requests with one code cannot both win.
        try:
            await repository.flush()
        except IntegrityError as exc:
            constraint = violated_constraint(exc)
            if constraint == PRODUCT_CODE_CONSTRAINT:
                raise ProductCodeTaken(f"Another product already has the code '{code}'.") from exc
            if constraint == PRODUCT_TAX_RATE_CONSTRAINT:
                raise UnknownTaxRate from exc
            raise


tax_rate = TaxRateService()
product = ProductService()
