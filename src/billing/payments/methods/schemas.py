"""Bodies of the provider catalogue and saved payment method routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from billing.core.schemas import ReadSchema, WriteSchema
from billing.providers.base import NextAction

_RETURN_URL = Field(
    default=None,
    max_length=2000,
    pattern=r"^https?://",
    description=(
        "Where the payer's browser comes back after the provider's page. Required for Mollie; "
        "Mollie does not say what happened, so keep the setup id to confirm with."
    ),
)


class ProviderRead(ReadSchema):
    """A payment provider of the deployment and what it can do."""

    slug: str = Field(examples=["stripe"])
    name: str
    method_types: list[str] = Field(description="Methods it can charge or save.")
    currencies: list[str]
    capabilities: list[str] = Field(examples=[["charge", "save_method", "charge_saved"]])
    saves_methods: bool = Field(description="True when methods can be saved for later charges.")
    configured: bool = Field(description="The deployment holds credentials for it.")
    enabled: bool = Field(description="Switched on in the operator settings.")


class ProviderConfigRead(ReadSchema):
    """What a frontend SDK needs (Stripe.js: the publishable key). Never a secret."""

    slug: str
    configured: bool
    enabled: bool
    config: dict[str, str] = Field(examples=[{"publishable_key": "pk_test_..."}])


class SetupCreate(WriteSchema):
    """Start saving a method with the provider named in the path."""

    method_type: str = Field(
        default="card",
        min_length=1,
        max_length=30,
        description="Stripe: card, sepa_debit. Mollie: card/creditcard, directdebit, ideal, ...",
    )
    return_url: str | None = _RETURN_URL


class PaymentMethodCreate(WriteSchema):
    """Start saving a method (the same flow as the provider setup route)."""

    provider_slug: str = Field(min_length=1, max_length=30, examples=["stripe"])
    method_type: str = Field(default="card", min_length=1, max_length=30)
    return_url: str | None = _RETURN_URL


class ConfirmRequest(WriteSchema):
    """What the browser got back from the provider; only used to find the setup.

    Stripe: ``{"setup_intent_id": "seti_..."}`` (or Stripe's return parameter ``setup_intent``).
    Mollie: ``{"payment_id": "tr_..."}``. Both: ``{"setup_id": "<id from the setup answer>"}``.
    The state itself is always read back from the provider.
    """

    confirmation_data: dict[str, str] = Field(
        max_length=20, examples=[{"setup_intent_id": "seti_1NnlpjGPxmnHQRkJN5k6R6QG"}]
    )


class NextActionRead(ReadSchema):
    """What the payer's browser must do next."""

    kind: str = Field(description="use_client_secret, redirect or await_customer.")
    url: str | None = None
    client_secret: str | None = Field(
        default=None, description="For Stripe.js (confirmSetup / confirmPayment)."
    )
    expires_at: datetime | None = None

    @classmethod
    def of(cls, action: NextAction | None) -> NextActionRead | None:
        """The provider-neutral action as a response body."""
        if action is None:
            return None
        return cls(
            kind=action.kind,
            url=action.url,
            client_secret=action.client_secret,
            expires_at=action.expires_at,
        )


class PaymentMethodRead(ReadSchema):
    """A saved method: display data only, never a full card number or IBAN."""

    id: uuid.UUID
    provider: str
    method_type: str
    status: str = Field(description="setup_pending, pending, active, failed or inactive.")
    is_default: bool
    brand: str | None
    last4: str | None = Field(description="Last digits of the card or IBAN.")
    exp_month: int | None
    exp_year: int | None
    mandate_status: str | None = Field(description="valid, pending or invalid.")
    failure_code: str | None
    failure_message: str | None
    created_at: datetime
    updated_at: datetime


class PaymentMethodSetup(PaymentMethodRead):
    """A setup in progress: finish it in the browser, then confirm it."""

    setup_ref: str | None = Field(description="Stripe SetupIntent or Mollie first payment.")
    client_secret: str | None = Field(description="Stripe: mount the Payment Element with it.")
    redirect_url: str | None = Field(description="Mollie: send the payer's browser there.")
    next_action: NextActionRead | None


class PaymentMethodRemoved(ReadSchema):
    """The removed method and the tenant's default afterwards."""

    removed: PaymentMethodRead
    default_payment_method: PaymentMethodRead | None = Field(
        description="The newest remaining active method takes over a removed default."
    )
