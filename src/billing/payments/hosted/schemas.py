"""Bodies of the payment page's routes."""

from __future__ import annotations

from pydantic import Field

from billing.core.schemas import MoneyString, ReadSchema, WriteSchema


class PesapalStart(WriteSchema):
    """Start a Pesapal order from the page; Pesapal needs an e-mail or a phone number (the
    invoice's buyer contact is used when none is given)."""

    email: str | None = Field(default=None, max_length=320, pattern=r"^[^\x00-\x1f\x7f]*$")
    phone_number: str | None = Field(default=None, max_length=20, pattern=r"^[0-9 +()-]*$")


class PageStart(WriteSchema):
    """Start a card or Mollie payment of the balance (nothing to choose)."""


class PaymentStarted(ReadSchema):
    """An attempt the page started."""

    reference: str = Field(description="The attempt (TXN-...): poll the page status with it.")
    status: str
    amount: MoneyString
    currency: str


class RedirectStarted(PaymentStarted):
    """Send the payer's browser to ``redirect_url`` (Pesapal's page)."""

    redirect_url: str


class MollieStarted(PaymentStarted):
    """Send the payer's browser to ``checkout_url`` (Mollie's checkout)."""

    checkout_url: str


class CardStarted(PaymentStarted):
    """A Stripe PaymentIntent for the Payment Element: ``client_secret`` is the payer's (never
    stored), ``return_url`` where Stripe sends the browser after a redirect (3-D Secure)."""

    client_secret: str
    publishable_key: str
    return_url: str


class AttemptState(ReadSchema):
    """A payment attempt as its payer sees it."""

    reference: str
    method: str
    status: str


class PaymentPageStatus(ReadSchema):
    """The invoice as its page shows it, and the attempt the page follows."""

    status: str = Field(description="issued, sent, overdue, paid, cancelled, or expired.")
    status_label: str = Field(description="The status in the invoice's language.")
    paid: bool
    currency: str
    amount_due: MoneyString
    amount_due_display: str = Field(description="In the invoice's language: 'KSh 3,480.00'.")
    expired: bool = Field(description="The payment link expired: no new payment starts.")
    attempt: AttemptState | None
