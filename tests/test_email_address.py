"""``EmailAddress`` accepts, refuses and normalises exactly what ``pydantic.EmailStr`` does."""

from __future__ import annotations

import pytest
from pydantic import EmailStr, TypeAdapter, ValidationError

from billing.core.schemas import EmailAddress

OURS: TypeAdapter[str] = TypeAdapter(EmailAddress)
PYDANTIC: TypeAdapter[str] = TypeAdapter(EmailStr)


@pytest.mark.parametrize(
    "value",
    [
        "billing@nordlicht.example",
        "  Billing@Nordlicht.EXAMPLE ",
        "jürgen@müller.example",
        "a.b+tag@sub.example.co.uk",
        "no-at-sign.example",
        "two@@example.com",
        "trailing-dot@example.com.",
        "x@localhost",
        "",
        "a" * 65 + "@example.com",
    ],
)
def test_same_verdict_and_normal_form_as_email_str(value: str) -> None:
    try:
        expected = PYDANTIC.validate_python(value)
    except ValidationError:
        with pytest.raises(ValidationError) as refused:
            OURS.validate_python(value)
        assert "not a valid email address" in str(refused.value)
    else:
        # EmailStr keeps a display name's address only; plain addresses come back normalised.
        assert OURS.validate_python(value) == expected


def test_json_schema_says_email() -> None:
    assert OURS.json_schema() == {"type": "string", "format": "email"}
