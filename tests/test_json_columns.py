"""JSON columns are read as ``json.loads`` reads them, whatever reads them faster."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from billing.core.db import _LONG_BARE_INTEGER, Database, read_json

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    # Digit runs in strings, after the characters that may also precede a number.
    | st.from_regex(r"[A-Z:,\[ ]{0,3}-?[0-9]{15,25}", fullmatch=True),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


# How PostgreSQL writes jsonb, compact JSON, and indented JSON.
LAYOUTS: list[dict[str, Any]] = [{}, {"separators": (",", ":")}, {"indent": 2}]


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.sampled_from(LAYOUTS))
def test_a_document_reads_as_json_reads_it(value: object, layout: dict[str, Any]) -> None:
    written = json.dumps(value, **layout)
    assert read_json(written) == json.loads(written)


def test_an_iban_keeps_the_fast_reader() -> None:
    """Digit runs in strings are no reason to read slowly: most documents hold an IBAN."""
    document = '{"iban": "DE89370400440532013000", "vat_id": "DE123456789"}'
    assert _LONG_BARE_INTEGER.search(document) is None
    assert read_json(document) == json.loads(document)


@pytest.mark.parametrize(
    "number", [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30, -(10**30)]
)
def test_integers_at_and_beyond_64_bits_keep_every_digit(number: int) -> None:
    read = read_json(f'{{"n": {number}, "m": [{number}]}}')
    assert read == {"n": number, "m": [number]}
    assert type(read["n"]) is int


async def test_the_engine_reads_jsonb_with_it(database: Database) -> None:
    async with database.sessionmaker() as session:
        value = await session.scalar(
            text("SELECT CAST(:doc AS jsonb)").columns(),
            {"doc": '{"big": 123456789012345678901234567890, "name": "Zoë"}'},
        )
    assert value == {"big": 123456789012345678901234567890, "name": "Zoë"}


def test_invalid_text_is_still_an_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        read_json("{not json")
