"""The item price (BT-146) and price base quantity (BT-149) an e-invoice line states.

PEPPOL-EN16931-R120 (fatal in Peppol, a warning in XRechnung) checks each line within 0.02:
line net (BT-131) = quantity (BT-129) x net price (BT-146) / base quantity (BT-149).

A line net is rounded to the currency's minor unit (PRODUCT.md section 4), so a price that
carries more decimals than the currency can break that: 1 x 10.5 JPY is a line net of 11 JPY,
0.5 away. Such a line states the price it was actually charged at instead: the line net for
the line's quantity as base quantity ("11 JPY per 1 unit", "100 JPY per 3 units"), which
multiplies back to the line net exactly. Every other line states its agreed price, which is
within half a minor unit of the net. The PDF always prints the agreed price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.renderers.model import InvoiceLine

R120_SLACK = Decimal("0.02")


@dataclass(frozen=True, slots=True)
class LinePrice:
    """BT-146 and, when it is not 1, BT-149."""

    amount: Decimal
    base_quantity: Decimal | None = None


def line_price(line: InvoiceLine) -> LinePrice:
    """The price to write for ``line`` so that quantity x price / base is its net (R120)."""
    if abs(line.quantity * line.unit_price - line.net_amount) <= R120_SLACK:
        return LinePrice(line.unit_price)
    # Reached only when the price has more decimals than the currency (unit_price > 0 and
    # quantity != 0 here, so net and quantity share their sign and both magnitudes are > 0).
    quantity = abs(line.quantity)
    amount = abs(line.net_amount)
    if quantity == 1:
        return LinePrice(amount)
    return LinePrice(amount, quantity)
