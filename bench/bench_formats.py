"""Render time per format: invoices and their credit notes, in every format, in one run.

Run with ``python -m bench.bench_formats`` (about 15 s). A 1-line and a 300-line invoice and
the full credit note of each (type 381: a UBL ``CreditNote``, the invoice as preceding invoice,
a reason, payment terms) are rendered as PDF, Peppol UBL, XRechnung, CII and Factur-X, after a
warm-up render, until a time budget or an iteration cap; the median (p50) is reported, each
credit note beside its invoice (the baseline), the two rendered alternately in the same loop so
that both see the same load of the machine.

``--baseline-src DIR`` measures a second source tree in the same run (for example an older
commit exported with ``git archive <commit> src | tar -x -C /tmp/base``): both trees run in
child processes, alternating, so that "before" and "after" share the machine's state. The
documents use only the public builder, so any version of the renderers can render them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

FORMATS = ("pdf", "ubl", "xrechnung", "cii", "zugferd")
CASES = (
    "invoice, 1 line",
    "credit note, 1 line",
    "invoice, 300 lines",
    "credit note, 300 lines",
)
PAIRS = ((CASES[0], CASES[1]), (CASES[2], CASES[3]))
"""Each credit note and the invoice it credits, printed side by side."""
BUDGET_SECONDS = 0.6
MAX_ROUNDS = 60


def documents() -> dict[str, object]:
    """The four documents, built with the public builder only."""
    from billing.renderers import (
        Contact,
        ElectronicAddress,
        LineInput,
        Party,
        PaymentInstructions,
        PostalAddress,
        PrecedingInvoice,
        build_document,
    )

    seller = Party(
        name="Müller & Dvořák GmbH",
        trading_name="Łódź Cloud",
        address=PostalAddress(
            line1="Hauptstraße 1", city="Berlin", postal_code="10115", country_code="DE"
        ),
        vat_id="DE123456789",
        electronic_address=ElectronicAddress(value="billing@seller.example", scheme="EM"),
        contact=Contact(name="Anna Schmidt", phone="+49 30 1234567", email="a@seller.example"),
    )
    buyer = Party(
        name="Équipe Rivière SARL",
        address=PostalAddress(
            line1="12 rue de la Paix", city="Paris", postal_code="75002", country_code="FR"
        ),
        vat_id="FR40303265045",
        electronic_address=ElectronicAddress(value="ap@buyer.example", scheme="EM"),
    )

    def lines(count: int) -> list[LineInput]:
        return [
            LineInput(
                name=f"Usage item {index:04d}",
                quantity=Decimal(index % 7 + 1),
                unit_price=Decimal(f"{index % 50 + 1}.{index % 100:02d}"),
                vat_rate=Decimal(19 if index % 3 else 7),
                sku=f"SKU-{index:05d}" if index % 5 == 0 else None,
            )
            for index in range(count)
        ]

    def build(count: int, **extra: object) -> object:
        arguments: dict[str, object] = {
            "number": "INV-2026-00042",
            "issue_date": dt.date(2026, 5, 1),
            "due_date": dt.date(2026, 5, 15),
            "currency": "EUR",
            "seller": seller,
            "buyer": buyer,
            "lines": lines(count),
            "buyer_reference": "04011000-12345-34",
            "payment": PaymentInstructions(means_code="58", iban="DE89370400440532013000"),
            "public_url": "https://billing.example.com/i/7f3c2a9e-1b2d-4c5e-9f00-123456789abc",
            **extra,
        }
        return build_document(**arguments)  # type: ignore[arg-type]

    def credit_note(count: int, **extra: object) -> object:
        # As billing.invoices.document builds a credit note: type 381, the credited invoice,
        # the reason as a note, its issue date as due date, what happened to the money.
        return build(
            count,
            number="CN-2026-00003",
            type_code="381",
            issue_date=dt.date(2026, 5, 20),
            due_date=dt.date(2026, 5, 20),
            preceding_invoices=[
                PrecedingInvoice(number="INV-2026-00042", issue_date=dt.date(2026, 5, 1))
            ],
            notes=["Order cancelled"],
            payment_terms="Deducted from the amount due on invoice INV-2026-00042.",
            public_url=None,
            **extra,
        )

    return {
        CASES[0]: build(1),
        CASES[1]: credit_note(1),
        CASES[2]: build(300, discount=Decimal("10.00")),
        CASES[3]: credit_note(300, discount=Decimal("10.00")),
    }


def measure(action: Callable[[], object]) -> float:
    """Median seconds per call after one warm-up call."""
    action()
    timings: list[float] = []
    started = time.perf_counter()
    while len(timings) < MAX_ROUNDS:
        begin = time.perf_counter()
        action()
        timings.append(time.perf_counter() - begin)
        if len(timings) >= 5 and time.perf_counter() - started > BUDGET_SECONDS:
            break
    return statistics.median(timings)


def measure_pair(first: Callable[[], object], second: Callable[[], object]) -> tuple[float, float]:
    """Median seconds per call of two actions timed alternately (ABAB...), after a warm-up of
    each, so both see the same state of a shared machine."""
    first()
    second()
    timings: tuple[list[float], list[float]] = ([], [])
    started = time.perf_counter()
    while len(timings[0]) < MAX_ROUNDS:
        for action, bucket in ((first, timings[0]), (second, timings[1])):
            begin = time.perf_counter()
            action()
            bucket.append(time.perf_counter() - begin)
        if len(timings[0]) >= 5 and time.perf_counter() - started > 2 * BUDGET_SECONDS:
            break
    return statistics.median(timings[0]), statistics.median(timings[1])


def measure_pairs() -> dict[tuple[str, str], tuple[float, float]]:
    """p50 milliseconds of each (invoice, its credit note) per format, timed alternately."""
    from billing.renderers import render

    built = documents()
    results: dict[tuple[str, str], tuple[float, float]] = {}
    for invoice_case, credit_case in PAIRS:
        for name in FORMATS:
            invoice_s, credit_s = measure_pair(
                lambda d=built[invoice_case], n=name: render(d, n),  # type: ignore[misc]
                lambda d=built[credit_case], n=name: render(d, n),  # type: ignore[misc]
            )
            results[(invoice_case, name)] = (invoice_s * 1000, credit_s * 1000)
    return results


def measure_all() -> dict[str, dict[str, float]]:
    """p50 milliseconds per (case, format) of the renderers importable from ``sys.path``."""
    from billing.renderers import render

    results: dict[str, dict[str, float]] = {}
    for case, document in documents().items():
        results[case] = {}
        for name in FORMATS:
            seconds = measure(lambda d=document, n=name: render(d, n))  # type: ignore[misc]
            results[case][name] = seconds * 1000
    return results


def _child(src: Path) -> dict[str, dict[str, float]]:
    environment = {**os.environ, "PYTHONPATH": str(src)}
    output = subprocess.run(
        [sys.executable, "-m", "bench.bench_formats", "--child"],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout
    result: dict[str, dict[str, float]] = json.loads(output)
    return result


def compare(baseline_src: Path, rounds: int) -> None:
    """Alternate baseline and current trees ``rounds`` times; print the medians side by side."""
    current_src = Path(__file__).resolve().parent.parent / "src"
    runs: dict[str, list[dict[str, dict[str, float]]]] = {"before": [], "after": []}
    # ABBA order: neither tree always runs first, so drift of the machine cancels out.
    for index in range(rounds):
        order = [("before", baseline_src), ("after", current_src)]
        for label, src in order if index % 2 == 0 else reversed(order):
            runs[label].append(_child(src))
    header = f"{'case':<23} {'format':<10} {'before ms':>10} {'after ms':>10} {'change':>8}"
    print(header)
    print("-" * len(header))
    for case in CASES:
        for name in FORMATS:
            before = statistics.median(run[case][name] for run in runs["before"])
            after = statistics.median(run[case][name] for run in runs["after"])
            change = (after - before) / before * 100
            print(f"{case:<23} {name:<10} {before:>10.2f} {after:>10.2f} {change:>+7.0f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline-src", type=Path, help="a second src/ tree to compare with")
    parser.add_argument("--rounds", type=int, default=4, help="alternations per tree")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_all()))
    elif args.baseline_src:
        compare(args.baseline_src, args.rounds)
    else:
        results = measure_pairs()
        header = (
            f"{'lines':<6} {'format':<10} {'invoice ms':>11} {'credit note ms':>15} {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        for invoice_case, _ in PAIRS:
            lines = invoice_case.split(", ")[1].split()[0]
            for name in FORMATS:
                invoice, credit = results[(invoice_case, name)]
                print(
                    f"{lines:<6} {name:<10} {invoice:>11.2f} {credit:>15.2f} "
                    f"{credit / invoice:>6.2f}"
                )


if __name__ == "__main__":
    main()
