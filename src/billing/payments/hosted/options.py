"""Which methods an invoice's page offers, and the attempt it shows (``PaymentOptionsSource``
of ``billing.documents.ports``).

A method is offered when the operator enabled it, the invoice's payment account (if it has a
payment link) accepts it, and, for online providers, the deployment is configured for it and
it charges in the invoice's currency (M-Pesa: KES). Bank transfer needs the seller's IBAN.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from billing.core.tenancy import AccessScope
from billing.documents.ports import AttemptView, PaymentOptions
from billing.models.invoice import Invoice
from billing.models.ledger import PaymentTransaction
from billing.payments.accounts.repository import PaymentAccountRepository
from billing.payments.callback_urls import API
from billing.payments.links.guard import is_expired
from billing.payments.links.repository import PaymentLinkRepository
from billing.payments.repository import TransactionRepository
from billing.providers.base import ProviderKey
from billing.providers.registry import ProviderFactory
from billing.settings.schemas import OperatorSettings
from billing.settings.service import settings as settings_service

REFERENCE = re.compile(r"^[A-Z]{3}-[0-9A-F]{12}$")
"""What ``ledger.new_reference`` makes (``TXN-3F9A12C07B1E``); anything else names nothing."""

DISPLAY_ORDER = ("mpesa", "pesapal", "stripe", "mollie", "bank", "cash_on_delivery")
PROVIDER_METHODS = {
    "mpesa": ProviderKey.MPESA,
    "pesapal": ProviderKey.PESAPAL,
    "stripe": ProviderKey.STRIPE,
    "mollie": ProviderKey.MOLLIE,
}


def page_url(public_id: str) -> str:
    """The path of an invoice's public page."""
    return f"{API}/public/invoices/{public_id}"


def offered_methods(
    settings: OperatorSettings,
    providers: ProviderFactory,
    *,
    currency: str,
    accepted: list[str] | None,
    has_bank_account: bool,
) -> tuple[str, ...]:
    """The methods a payer may use, in display order."""
    offered = []
    for method in DISPLAY_ORDER:
        if not settings.method_enabled(method):
            continue
        if accepted is not None and method not in accepted:
            continue
        key = PROVIDER_METHODS.get(method)
        if key is not None and (
            not providers.configured(key) or not providers.build(key).supports_currency(currency)
        ):
            continue
        if method == "bank" and not has_bank_account:
            continue
        offered.append(method)
    return tuple(offered)


class HostedPaymentOptions:
    """The payments domain's answer to the page: built once with the provider factory."""

    def __init__(self, providers: ProviderFactory) -> None:
        self.providers = providers

    async def payment_options(
        self,
        session: AsyncSession,
        *,
        scope: AccessScope,
        invoice: Invoice,
        attempt_reference: str | None,
        returned_from: str | None,
    ) -> PaymentOptions:
        """How ``invoice`` can be paid now, under a scope narrowed to it (reads only)."""
        settings = await settings_service.get(session)
        link = await PaymentLinkRepository(session, scope).for_invoice(
            invoice.tenant_id, invoice.id
        )
        accepted = None
        if link is not None:
            account = await PaymentAccountRepository(session).get(link.payment_account_id)
            accepted = list(account.accepted_methods) if account is not None else []
        methods = offered_methods(
            settings,
            self.providers,
            currency=invoice.currency,
            accepted=accepted,
            has_bank_account=bool((invoice.seller or {}).get("iban")),
        )
        stripe_key = None
        if "stripe" in methods:
            stripe_key = (
                self.providers.build(ProviderKey.STRIPE).public_config().get("publishable_key")
            )
        base = page_url(invoice.public_id)
        endpoints = {
            "mpesa": f"{API}/payments/mpesa/initiate",
            "pesapal": f"{base}/payments/pesapal",
            "stripe": f"{base}/payments/stripe",
            "mollie": f"{base}/payments/mollie",
            "cash_on_delivery": f"{API}/payments/cod/create",
        }
        attempt = await self._attempt(session, scope, invoice, attempt_reference, returned_from)
        return PaymentOptions(
            methods=methods,
            expires_at=link.expires_at if link is not None else None,
            expired=link is not None and is_expired(link),
            stripe_publishable_key=stripe_key,
            endpoints={method: url for method, url in endpoints.items() if method in methods},
            status_url=f"{base}/payment-status",
            attempt=AttemptView(
                reference=attempt.reference, method=str(attempt.method), status=attempt.status
            )
            if attempt is not None
            else None,
        )

    async def _attempt(
        self,
        session: AsyncSession,
        scope: AccessScope,
        invoice: Invoice,
        reference: str | None,
        returned_from: str | None,
    ) -> PaymentTransaction | None:
        repository = TransactionRepository(session, scope)
        if reference and REFERENCE.fullmatch(reference):
            found = await repository.by_reference(reference)
            return found if found is not None and found.invoice_id == invoice.id else None
        if returned_from in PROVIDER_METHODS:
            for attempt in await repository.for_invoice(invoice.id):
                if attempt.provider == returned_from:
                    return attempt
        return None
