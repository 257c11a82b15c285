"""Property tests: the totals engine follows the EN 16931 formulas to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.core.money import quantum, round_money
from billing.core.totals import TaxableLine, VatCategory, compute_totals

CURRENCIES = st.sampled_from(["EUR", "KES", "JPY", "KWD", "RWF"])
RATES = st.sampled_from([Decimal("0"), Decimal("5.5"), Decimal("7"), Decimal("16"), Decimal("19")])
QUANTITIES = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=3)
PRICES = st.decimals(min_value=Decimal("0"), max_value=Decimal("10000"), places=4)


@st.composite
def lines(draw: st.DrawFn) -> list[TaxableLine]:
    count = draw(st.integers(min_value=1, max_value=12))
    result = []
    for _ in range(count):
        rate = draw(RATES)
        category = VatCategory.STANDARD if rate > 0 else VatCategory.ZERO_RATED
        result.append(TaxableLine(draw(QUANTITIES), draw(PRICES), category, rate))
    return result


@settings(max_examples=300, deadline=None)
@given(lines(), CURRENCIES, st.floats(min_value=0, max_value=1))
def test_totals_follow_the_formulas(
    invoice_lines: list[TaxableLine], currency: str, discount_share: float
) -> None:
    exact_nets = [line.quantity * line.unit_price for line in invoice_lines]
    nets = [n.quantize(quantum(currency), rounding=ROUND_HALF_UP) for n in exact_nets]
    line_total = sum(nets, Decimal(0))
    discount = round_money(line_total * Decimal(str(discount_share)), currency)
    totals = compute_totals(invoice_lines, currency=currency, discount=discount)

    # BR-CO-10: sum of the rounded line nets.
    assert list(totals.line_nets) == nets
    assert totals.line_total == line_total
    # Every amount is on the currency's minor unit.
    for amount in (totals.tax_total, totals.tax_inclusive, *(g.tax_amount for g in totals.groups)):
        assert amount == round_money(amount, currency)
    # The discount is split over the groups exactly.
    assert sum((g.allowance_total for g in totals.groups), Decimal(0)) == discount
    assert sum((a.amount for a in totals.allowances), Decimal(0)) == discount
    # Group nets add up to the line total; each group's VAT follows BR-CO-17.
    assert sum((g.line_net_total for g in totals.groups), Decimal(0)) == line_total
    for group in totals.groups:
        assert group.taxable_amount == group.line_net_total - group.allowance_total
        expected = round_money(group.taxable_amount * group.rate / 100, currency)
        assert group.tax_amount == expected
        assert group.allowance_total >= 0
    # BR-CO-13/14/15/16.
    assert totals.tax_exclusive == line_total - discount
    assert totals.tax_total == sum((g.tax_amount for g in totals.groups), Decimal(0))
    assert totals.tax_inclusive == totals.tax_exclusive + totals.tax_total
    assert totals.payable == totals.tax_inclusive
    # One group per (category, rate).
    keys = [(g.category, g.rate) for g in totals.groups]
    assert len(keys) == len(set(keys))


@given(lines(), CURRENCIES)
def test_discount_larger_than_lines_is_refused(
    invoice_lines: list[TaxableLine], currency: str
) -> None:
    totals = compute_totals(invoice_lines, currency=currency)
    too_much = totals.line_total + quantum(currency)
    try:
        compute_totals(invoice_lines, currency=currency, discount=too_much)
    except ValueError:
        return
    raise AssertionError("a discount above the line total must be refused")


def test_seed_001_example() -> None:
    totals = compute_totals(
        [TaxableLine(Decimal(1), Decimal("100.00"), VatCategory.STANDARD, Decimal(16))],
        currency="KES",
        discount=Decimal("10.00"),
    )
    assert (totals.tax_total, totals.tax_inclusive) == (Decimal("14.40"), Decimal("104.40"))
