"""CSV cells a spreadsheet would run as formulas are neutralised; numbers are not. No
report row holds free text today (months, currencies, methods, providers and amounts), so
this guards the next column that does (a tenant or customer name)."""

from __future__ import annotations

import csv
import io

import pytest
from pydantic import BaseModel

from billing.reports.operator.csv_output import csv_response


class NamedRow(BaseModel):
    """A row with free text beside an amount."""

    name: str | None
    amount: str


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("Acme = Tools", "Acme = Tools"),
        ("-", "'-"),
    ],
)
def test_formula_text_gets_an_apostrophe(name: str, shown: str) -> None:
    response = csv_response([NamedRow(name=name, amount="-12.50")], NamedRow, "x.csv")
    assert isinstance(response.body, bytes)
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert rows == [{"name": shown, "amount": "-12.50"}]


def test_numbers_and_empty_cells_stay() -> None:
    response = csv_response(
        [NamedRow(name=None, amount="-0.01"), NamedRow(name="-5", amount="100")],
        NamedRow,
        "x.csv",
    )
    assert isinstance(response.body, bytes)
    assert response.body.decode().splitlines() == ["name,amount", ",-0.01", "-5,100"]
