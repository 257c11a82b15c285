"""Text the service accepts: no NUL, no control characters, no unpaired surrogates.

PostgreSQL refuses NUL in ``text`` and ``jsonb`` (the request would fail with a 500), an
unpaired surrogate cannot be encoded as UTF-8, and other control characters have no place in
an invoice. Tab, line feed and carriage return stay allowed (notes and payment terms keep
their line breaks).
"""

from __future__ import annotations

import re

SAFE_TEXT_PATTERN = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
"""The JSON Schema ``pattern`` of free text (ECMA-262 and Python read it alike)."""

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` is refused, or ``None`` when it is acceptable text."""
    found = _UNSAFE.search(value)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return "contains an unpaired surrogate (not valid Unicode text)"
    return f"contains the control character U+{ord(char):04X} at position {found.start()}"
