"""What the public invoice page needs from the payments domain, as an interface.

Documents sit below payments and never import them. The page asks ``PaymentOptionsSource``
(implemented by ``billing.payments.hosted``, set on the app as ``app.state.payment_options`` by
``billing.main``) which methods the payer may use on this invoice now, whether its payment
link has expired, and what became of the attempt the payer returns from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.tenancy import AccessScope
from billing.models.invoice import Invoice


@dataclass(frozen=True, slots=True)
class AttemptView:
    """A payment attempt as the payer may see it."""

    reference: str
    method: str
    status: str


@dataclass(frozen=True, slots=True)
class PaymentOptions:
    """How the payer may pay the invoice's balance on its page, now.

    ``methods`` are in display order: the online ones (``mpesa``, ``pesapal``, ``stripe``,
    ``mollie``) get a form, ``bank`` the transfer details, ``cash_on_delivery`` a button.
    ``endpoints`` names, per method, the URL the page's script calls to start a payment, and
    ``status`` the URL it polls.
    """

    methods: tuple[str, ...] = ()
    expires_at: datetime | None = None
    expired: bool = False
    stripe_publishable_key: str | None = None
    endpoints: Mapping[str, str] = field(default_factory=dict)
    status_url: str | None = None
    attempt: AttemptView | None = None


class PaymentOptionsSource(Protocol):
    """Tells the page how its invoice can be paid."""

    async def payment_options(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        invoice: Invoice,
        attempt_reference: str | None,
        returned_from: str | None,
    ) -> PaymentOptions:
        """The options of ``invoice`` (read under ``scope``, narrowed to it).

        ``attempt_reference`` (an attempt the page started) or ``returned_from`` (a provider
        the payer comes back from: its latest attempt on this invoice) select the attempt to
        show; one of another invoice is ignored. Reads only: no provider is called.
        """
        ...


async def get_payment_options_source(request: Request) -> PaymentOptionsSource | None:
    """The source the application was built with (none: the page offers no online payment)."""
    source: PaymentOptionsSource | None = getattr(request.app.state, "payment_options", None)
    return source


OptionsSource = Annotated[PaymentOptionsSource | None, Depends(get_payment_options_source)]
