"""Turning line inputs into invoice lines: product defaults, VAT choice, validation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from billing.catalog.repository import ProductRepository, TaxRateRepository
from billing.core.totals import VatCategory
from billing.invoices.errors import InvoiceInvalid
from billing.invoices.schemas import LineInput
from billing.invoices.taxes import LineTax, check_line_tax
from billing.models.catalog import Product, TaxRate
from billing.models.invoice import InvoiceLine


@dataclass(frozen=True, slots=True)
class LineContext:
    """What every line of one invoice shares."""

    tenant_id: uuid.UUID
    currency: str
    default_tax: LineTax
    invoice_tax_rate_id: uuid.UUID | None = None
    destination_tax: LineTax | None = None


async def build_lines(
    session: AsyncSession,
    inputs: Sequence[LineInput],
    context: LineContext,
    *,
    invoice_id: uuid.UUID,
    first_position: int = 1,
) -> list[InvoiceLine]:
    """Resolve every input in two catalogue queries, then build validated lines."""
    products = await ProductRepository(session).get_many(
        {item.product_id for item in inputs if item.product_id}
    )
    rate_ids = {item.tax_rate_id for item in inputs if item.tax_rate_id}
    rate_ids |= {p.tax_rate_id for p in products.values() if p.tax_rate_id}
    if context.invoice_tax_rate_id:
        rate_ids.add(context.invoice_tax_rate_id)
    tax_rates = await TaxRateRepository(session).get_many(rate_ids)
    lines = []
    for offset, item in enumerate(inputs):
        position = first_position + offset
        product = _product(item, products, position)
        tax = _choose_tax(item, product, tax_rates, context, position)
        check_line_tax(tax, position=position - 1)
        unit_price = item.unit_price
        if unit_price is None:
            if product is None:
                raise InvoiceInvalid(f"items[{position - 1}]: unit_price is required")
            if product.currency != context.currency:
                raise InvoiceInvalid(
                    f"items[{position - 1}]: product {product.code} is priced in "
                    f"{product.currency}, the invoice is in {context.currency}; send unit_price"
                )
            unit_price = product.unit_price
        name = item.name or (product.name if product else None)
        if not name:
            raise InvoiceInvalid(f"items[{position - 1}]: name is required without a product")
        lines.append(
            InvoiceLine(
                id=uuid.uuid4(),
                tenant_id=context.tenant_id,
                invoice_id=invoice_id,
                position=position,
                product_id=product.id if product else None,
                sku=item.sku or (product.code if product else None),
                name=name,
                description=item.description or (product.description if product else None),
                quantity=item.quantity,
                unit_code=item.unit_code or (product.unit_code if product else "C62"),
                unit_price=unit_price,
                tax_rate=tax.rate,
                tax_category=tax.category.value,
                tax_exemption_reason_code=tax.reason_code,
                tax_exemption_reason=tax.reason,
                line_total=Decimal(0),
                variant_info=item.variant_info,
            )
        )
    return lines


def _product(item: LineInput, products: dict[uuid.UUID, Product], position: int) -> Product | None:
    if item.product_id is None:
        return None
    product = products.get(item.product_id)
    if product is None:
        raise InvoiceInvalid(f"items[{position - 1}]: product {item.product_id} not found")
    if not product.active:
        raise InvoiceInvalid(f"items[{position - 1}]: product {product.code} is not active")
    return product


def _choose_tax(
    item: LineInput,
    product: Product | None,
    tax_rates: dict[uuid.UUID, TaxRate],
    context: LineContext,
    position: int,
) -> LineTax:
    """Line's own choice, then the invoice's tax rate, the destination rule, the product's
    rate, and last the operator's default."""
    if item.tax_rate_id is not None:
        return LineTax.of(_tax_rate(item.tax_rate_id, tax_rates, position))
    if item.tax_rate is not None or item.tax_category is not None:
        rate = item.tax_rate if item.tax_rate is not None else Decimal(0)
        category = item.tax_category or (
            VatCategory.STANDARD if rate > 0 else VatCategory.ZERO_RATED
        )
        return LineTax(rate, category, item.tax_exemption_reason_code, item.tax_exemption_reason)
    if context.invoice_tax_rate_id is not None:
        return LineTax.of(_tax_rate(context.invoice_tax_rate_id, tax_rates, position))
    if context.destination_tax is not None:
        return context.destination_tax
    if product is not None and product.tax_rate_id is not None:
        return LineTax.of(_tax_rate(product.tax_rate_id, tax_rates, position))
    return context.default_tax


def _tax_rate(
    tax_rate_id: uuid.UUID, tax_rates: dict[uuid.UUID, TaxRate], position: int
) -> TaxRate:
    tax_rate = tax_rates.get(tax_rate_id)
    if tax_rate is None:
        raise InvoiceInvalid(f"items[{position - 1}]: tax rate {tax_rate_id} not found")
    return tax_rate
