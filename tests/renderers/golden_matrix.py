"""The fixed invoice matrix of the golden-file tests, built at the document-model level.

Every case is deterministic (fixed dates, numbers and ids), so its XML is byte-for-byte the
same on every run. The matrix covers the seven VAT categories, document discounts and
charges, 1 and 300 lines, EUR, KES and JPY (with prices finer than a yen), and a credit note
(type 381) built directly with ``build_document``. ``API_GOLDEN_CASES`` are credit notes made
through the real API (``tests/credit_notes/test_golden.py``), full and partial.
"""

from __future__ import annotations

from collections.abc import Callable

from billing.core.totals import VatCategory
from billing.renderers import InvoiceDocument

from . import factories as f


def jpy_fractional() -> InvoiceDocument:
    """Yen with a discount and prices finer than the currency (PEPPOL-EN16931-R120)."""
    return f.complete_document(
        [
            f.line("Domain renewal", 3, "1500", 10),
            f.line("API calls", 1234, "0.35", 10),
            f.line("Storage (GB-month)", "1.5", "333", 10),
            f.line("Books", 2, "880", 8),
        ],
        currency="JPY",
        discount="500",
    )


def zero_rated_with_discount() -> InvoiceDocument:
    return f.complete_document(
        [
            f.line("Books for schools", 10, "20.00", 0, VatCategory.ZERO_RATED),
            f.line("Delivery", 1, "15.00", 19),
        ],
        discount="10.00",
        payment_terms="#SKONTO#TAGE=14#PROZENT=2.00#\nNet 30 days.",
    )


GOLDEN_CASES: dict[str, Callable[[], InvoiceDocument]] = {
    "s_standard_1_line": f.single_rate,
    "s_mixed_rates_discount_charge": f.mixed_rates_with_discount_and_charge,
    "z_zero_rated_discount_skonto": zero_rated_with_discount,
    "e_exempt": f.exempt,
    "ae_reverse_charge": f.reverse_charge,
    "k_intra_community": f.intra_community,
    "g_export": f.export,
    "o_outside_scope": f.outside_scope,
    "s_300_lines_discount": f.many_lines,
    "kes": f.kenyan_shillings,
    "jpy_fractional_prices_discount": jpy_fractional,
    "credit_note_381": f.credit_note,
}

API_GOLDEN_CASES = ("api_credit_note_full", "api_credit_note_partial")
"""Golden cases written by ``tests/credit_notes/test_golden.py`` from the API's downloads."""
