"""What one attempt to send produced, the same for every channel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """The outcome of one send: ``ok``, the response code when the other side answered, an
    error message (never a secret) and whether trying again could help."""

    ok: bool
    response_code: int | None = None
    error: str | None = None
    permanent: bool = False
    obsolete: bool = False

    @classmethod
    def failed(
        cls, error: str, *, response_code: int | None = None, permanent: bool = False
    ) -> AttemptResult:
        """A failed attempt."""
        return cls(ok=False, response_code=response_code, error=error[:1000], permanent=permanent)


class PermanentFailure(Exception):
    """The message cannot be built or sent, and retrying will not change that (no recipient,
    the endpoint was deleted, the e-invoice lacks data)."""


class Obsolete(PermanentFailure):
    """The message is no longer wanted (the invoice it reminds of was paid or cancelled)."""
