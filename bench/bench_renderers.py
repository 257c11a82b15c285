"""Renderer benchmark: a 1-page and a 1,000-line invoice to PDF, UBL and Factur-X.

Run with ``python bench/bench_renderers.py`` (about 30-60 s). Each case renders in-process
until its time budget or iteration cap is reached, after a warm-up render, and reports the
median (p50), the 99th percentile (p99) and renders per second. Two baselines are measured in
the same run so the numbers compare across machines: serialising the same invoice model to
JSON, and a minimal reportlab canvas drawing one string.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import platform
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from importlib.util import find_spec

from reportlab.pdfgen.canvas import Canvas

from billing.renderers import (
    Contact,
    DocumentFormat,
    ElectronicAddress,
    InvoiceDocument,
    LineInput,
    Party,
    PaymentInstructions,
    PostalAddress,
    build_document,
    render,
)

BUDGET_SECONDS = 4.0
MIN_ROUNDS = 10
MAX_ROUNDS = 400


def make_invoice(lines: int) -> InvoiceDocument:
    """A complete German B2B invoice with ``lines`` lines at two VAT rates."""
    return build_document(
        number="INV-2026-00042",
        issue_date=dt.date(2026, 5, 1),
        due_date=dt.date(2026, 5, 15),
        currency="EUR",
        seller=Party(
            name="Müller & Dvořák GmbH",
            trading_name="Łódź Cloud",
            address=PostalAddress(
                line1="Hauptstraße 1", city="Berlin", postal_code="10115", country_code="DE"
            ),
            vat_id="DE123456789",
            electronic_address=ElectronicAddress(value="billing@seller.example", scheme="EM"),
            contact=Contact(name="Anna Schmidt", phone="+49 30 1234567", email="a@seller.example"),
        ),
        buyer=Party(
            name="Équipe Rivière SARL",
            address=PostalAddress(
                line1="12 rue de la Paix", city="Paris", postal_code="75002", country_code="FR"
            ),
            vat_id="FR40303265045",
            electronic_address=ElectronicAddress(value="ap@buyer.example", scheme="EM"),
        ),
        lines=[
            LineInput(
                name=f"Usage item {index:04d}",
                quantity=Decimal(index % 7 + 1),
                unit_price=Decimal(f"{index % 50 + 1}.{index % 100:02d}"),
                vat_rate=Decimal(19 if index % 3 else 7),
                sku=f"SKU-{index:05d}" if index % 5 == 0 else None,
            )
            for index in range(lines)
        ],
        buyer_reference="04011000-12345-34",
        discount=Decimal("10.00"),
        payment=PaymentInstructions(means_code="58", iban="DE89370400440532013000"),
        public_url="https://billing.example.com/i/7f3c2a9e-1b2d-4c5e-9f00-123456789abc",
        payment_methods=["Bank transfer", "Card"],
    )


def measure(action: Callable[[], object]) -> list[float]:
    """Seconds per call: one warm-up, then rounds until the budget or the cap is reached."""
    action()
    timings: list[float] = []
    started = time.perf_counter()
    while len(timings) < MAX_ROUNDS:
        begin = time.perf_counter()
        action()
        timings.append(time.perf_counter() - begin)
        if len(timings) >= MIN_ROUNDS and time.perf_counter() - started > BUDGET_SECONDS:
            break
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def minimal_canvas() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.drawString(72, 720, "Invoice INV-2026-00042")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def main() -> None:
    accelerated = "yes" if find_spec("_rl_accel") else "no (pip install rl-accel for faster PDFs)"
    print(f"Python {platform.python_version()} on {platform.machine()}, rl-accel: {accelerated}")

    small, large = make_invoice(3), make_invoice(1000)
    rows: list[tuple[str, str, list[float]]] = []
    baseline = measure(minimal_canvas)
    rows.append(("baseline", "reportlab canvas, one string", baseline))
    json_small = measure(small.model_dump_json)
    json_large = measure(large.model_dump_json)
    rows.append(("baseline", "model JSON, 1-page invoice", json_small))
    rows.append(("baseline", "model JSON, 1,000 lines", json_large))
    for label, document in (("1-page", small), ("1,000 lines", large)):
        for document_format in (DocumentFormat.PDF, DocumentFormat.UBL, DocumentFormat.ZUGFERD):
            timings = measure(partial(render, document, document_format))
            rows.append((document_format.value, label, timings))

    # The QR matrix is cached per URL; this row pays for encoding a new one every time.
    fresh = itertools.count()

    def uncached_qr() -> object:
        url = f"{small.public_url}?n={next(fresh)}"
        return render(small.model_copy(update={"public_url": url}), DocumentFormat.PDF)

    rows.insert(4, ("pdf", "1-page, QR not cached", measure(uncached_qr)))

    reference = statistics.median(baseline)
    header = (
        f"{'format':<10} {'case':<30} {'runs':>5} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'renders/s':>10} {'x canvas':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, case, timings in rows:
        p50 = statistics.median(timings)
        print(
            f"{name:<10} {case:<30} {len(timings):>5} {p50 * 1000:>9.2f} "
            f"{percentile(timings, 0.99) * 1000:>9.2f} {len(timings) / sum(timings):>10.1f} "
            f"{p50 / reference:>9.1f}"
        )
    pages = render(large, DocumentFormat.PDF).content.count(b"/Type /Page\n")
    print(f"\n1,000-line PDF: {pages or 'several'} pages; 'x canvas' = p50 / baseline canvas p50.")


if __name__ == "__main__":
    main()
