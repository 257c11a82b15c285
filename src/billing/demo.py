"""Idempotent demo data for ``billing seed-demo`` and ``make run``.

The reseller and the two tenants get fixed ids (so tokens and examples can name them); the
rest goes through the API itself, in process, as an admin: the operator's seller and payment
methods, a billing profile per tenant and, for each tenant, a draft, an issued, a partly paid,
a paid and an overdue invoice. Every rule (numbering, VAT, the seller check before issuing,
the ledger) is the one a client meets.

Running it again changes nothing: demo invoices are found by their notes, billing profiles and
the seller are written only where none exists, and payment methods are only ever switched on
(the ones whose provider has credentials, e.g. from ``billing dev-providers``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from billing.auth import capabilities
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.clock import utcnow
from billing.core.db import Database
from billing.models.tenant import Reseller, Tenant
from billing.providers.base import ProviderKey
from billing.providers.registry import ProviderSettings

_NAMESPACE = uuid.UUID("7d3f3c1e-6a43-4a8e-9d8e-0b1f1d2f5a10")
ADMIN = "/api/v1/admin"


def demo_id(name: str) -> uuid.UUID:
    """Stable ids so seeding twice changes nothing."""
    return uuid.uuid5(_NAMESPACE, name)


RESELLER_ID = demo_id("reseller:nairobi-partners")
ACME_ID = demo_id("tenant:acme")
GLOBEX_ID = demo_id("tenant:globex")

SELLER: dict[str, str] = {
    "legal_name": "Nordlicht Cloud GmbH",
    "trading_name": "Nordlicht Cloud",
    "address_line1": "Hauptstraße 1",
    "postal_code": "10115",
    "city": "Berlin",
    "country_code": "DE",
    "vat_id": "DE123456789",
    "registration_id": "HRB 123456 B",
    "contact_name": "Anna Schmidt",
    "phone": "+49 30 1234567",
    "email": "billing@nordlicht.example",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "bank_name": "Commerzbank Berlin",
    "peppol_scheme": "9930",
    "peppol_endpoint_id": "DE123456789",
}
"""A German operator: complete for the PDF, UBL (Peppol), XRechnung, CII and Factur-X."""

PROFILES: dict[uuid.UUID, dict[str, Any]] = {
    ACME_ID: {
        "company_name": "Acme Software GmbH",
        "address_line1": "Marktplatz 5",
        "postal_code": "80331",
        "city": "München",
        "country_code": "DE",
        "vat_id": "DE987654321",
        "billing_email": "ap@acme.example",
        "contact_name": "Max Mustermann",
        "phone": "+49 89 7654321",
        "buyer_reference": "04011000-12345-34",
        "peppol_scheme": "9930",
        "peppol_endpoint_id": "DE987654321",
        "preferred_einvoice_format": "xrechnung",
        "currency": "EUR",
        "language": "de",
    },
    GLOBEX_ID: {
        "company_name": "Globex Kenya Ltd",
        "address_line1": "Moi Avenue 12",
        "postal_code": "00100",
        "city": "Nairobi",
        "country_code": "KE",
        "tax_id": "P051234567X",
        "billing_email": "accounts@globex.example",
        "contact_name": "Wanjiru Kamau",
        "phone": "+254 708 374 149",
        "buyer_reference": "GLOBEX-IT-2026",
        "peppol_scheme": "0088",  # a GLN: Peppol delivers UBL invoices to it
        "peppol_endpoint_id": "6164003000000",
        "currency": "KES",
        "language": "en",
    },
}

ONLINE_PROVIDERS = {
    ProviderKey.PESAPAL: "enable_pesapal",
    ProviderKey.STRIPE: "enable_stripe",
    ProviderKey.MOLLIE: "enable_mollie",
}


@dataclass(frozen=True, slots=True)
class DemoInvoice:
    """One demo invoice; ``notes`` is how a later run recognises it."""

    tenant_id: uuid.UUID
    state: str
    items: tuple[tuple[str, str, str], ...]  # (name, quantity, unit price)
    issued_days_ago: int = 0
    due_in_days: int = 14
    paid: str | None = None  # an amount, or "all"
    method: str = "bank"

    @property
    def notes(self) -> str:
        tenant = "Acme" if self.tenant_id == ACME_ID else "Globex"
        return f"Demo invoice ({tenant}, {self.state})"


_ACME_LINES = (("Cloud platform, Business plan (monthly)", "1", "490.00"),)
_GLOBEX_LINES = (("Fibre 50 Mbps (monthly)", "1", "4500.00"), ("Static IP address", "1", "500.00"))

INVOICES = (
    DemoInvoice(ACME_ID, "draft", (*_ACME_LINES, ("Extra seats", "5", "12.00"))),
    DemoInvoice(ACME_ID, "issued", _ACME_LINES),
    DemoInvoice(ACME_ID, "partly paid", _ACME_LINES, issued_days_ago=5, paid="200.00"),
    DemoInvoice(ACME_ID, "paid", _ACME_LINES, issued_days_ago=35, paid="all"),
    DemoInvoice(ACME_ID, "overdue", _ACME_LINES, issued_days_ago=65, due_in_days=14),
    DemoInvoice(GLOBEX_ID, "draft", _GLOBEX_LINES),
    DemoInvoice(GLOBEX_ID, "issued", _GLOBEX_LINES),
    DemoInvoice(
        GLOBEX_ID, "partly paid", _GLOBEX_LINES, issued_days_ago=3, paid="2000.00", method="cash"
    ),
    DemoInvoice(GLOBEX_ID, "paid", _GLOBEX_LINES, issued_days_ago=33, paid="all", method="mpesa"),
    DemoInvoice(GLOBEX_ID, "overdue", _GLOBEX_LINES, issued_days_ago=50, due_in_days=7),
)


@dataclass(slots=True)
class DemoResult:
    """What the demo holds after seeding."""

    reseller_id: uuid.UUID
    tenant_ids: tuple[uuid.UUID, uuid.UUID]
    enabled_methods: list[str] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)  # notes, number, status...
    created: int = 0


class DemoError(RuntimeError):
    """The API refused part of the demo (its answer is in the message)."""


async def seed(url: str, settings: Settings) -> DemoResult:
    """Create (or find) the demo's reseller, tenants, settings, profiles and invoices."""
    from billing.main import create_app

    database = Database.connect(url, role=settings.app_role, pool_size=2, max_overflow=0)
    try:
        await _seed_parties(database)
        # The API in process (no lifespan: no worker, nothing listening).
        app = create_app(settings, database)
        token = mint_token(settings, role=Role.ADMIN, subject="demo-seed", ttl_seconds=600)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://demo.invalid",
            headers={"Authorization": f"Bearer {token}"},
        ) as api:
            result = DemoResult(reseller_id=RESELLER_ID, tenant_ids=(ACME_ID, GLOBEX_ID))
            result.enabled_methods = await _seed_settings(api, ProviderSettings())
            for tenant_id, profile in PROFILES.items():
                await _seed_profile(api, tenant_id, profile)
            await _seed_invoices(api, result)
    finally:
        await database.dispose()
    return result


async def _seed_parties(database: Database) -> None:
    """The reseller and the two tenants, with their fixed ids."""
    async with database.sessionmaker() as session, session.begin():
        await capabilities.operator_scope(session)
        await session.merge(
            Reseller(
                id=RESELLER_ID,
                name="Nairobi Partners",
                commission_rate=Decimal("10.00"),
                email="partners@example.com",
            )
        )
        await session.flush()
        await session.merge(
            Tenant(
                id=ACME_ID,
                name="Acme GmbH",
                legal_name="Acme Software GmbH",
                email="billing@acme.example",
                country_code="DE",
                default_currency="EUR",
            )
        )
        await session.merge(
            Tenant(
                id=GLOBEX_ID,
                name="Globex Kenya",
                legal_name="Globex Kenya Ltd",
                email="accounts@globex.example",
                country_code="KE",
                default_currency="KES",
                reseller_id=RESELLER_ID,
            )
        )


async def _call(api: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Any:
    response = await api.request(method, path, **kwargs)
    if response.status_code >= 400:
        raise DemoError(f"{method} {path} answered {response.status_code}: {response.text}")
    return response.json()["data"]


async def _seed_settings(api: httpx.AsyncClient, providers: ProviderSettings) -> list[str]:
    """The seller (only where the operator has none yet), EUR and KES, and the demo's payment
    methods switched on: cash, M-Pesa, bank, and every online provider with credentials."""
    current = await _call(api, "GET", f"{ADMIN}/settings")
    update: dict[str, Any] = {}
    if not current["seller"].get("legal_name"):
        update["seller"] = SELLER
        update["default_tax_rate"] = "19.00"
        update["timezone"] = "Europe/Berlin"
    currencies = list(dict.fromkeys([*current["enabled_currencies"], "EUR", "KES"]))
    if currencies != current["enabled_currencies"]:
        update["enabled_currencies"] = currencies
    switches = ["enable_cash", "enable_mpesa", "enable_bank_payments"]
    configured = {
        ProviderKey.PESAPAL: providers.pesapal.configured,
        ProviderKey.STRIPE: providers.stripe.configured,
        ProviderKey.MOLLIE: providers.mollie.configured,
    }
    switches += [switch for key, switch in ONLINE_PROVIDERS.items() if configured[key]]
    update.update({switch: True for switch in switches if not current[switch]})
    if update:
        current = await _call(api, "PUT", f"{ADMIN}/settings", json=update)
    return [name for name in _METHOD_NAMES if current[f"enable_{_METHOD_NAMES[name]}"]]


_METHOD_NAMES = {
    "cash": "cash",
    "mpesa": "mpesa",
    "bank": "bank_payments",
    "pesapal": "pesapal",
    "stripe": "stripe",
    "mollie": "mollie",
}


async def _seed_profile(api: httpx.AsyncClient, tenant_id: uuid.UUID, profile: Any) -> None:
    path = f"{ADMIN}/tenants/{tenant_id}/billing-profile"
    if await _call(api, "GET", path) is None:
        await _call(api, "PUT", path, json=profile)


async def _seed_invoices(api: httpx.AsyncClient, result: DemoResult) -> None:
    """Each demo invoice that is not there yet, in its state; then all of them as they are."""
    today = utcnow().date()
    for spec in INVOICES:
        found = await _find(api, spec)
        if found is None:
            found = await _create(api, spec, today)
            result.created += 1
        result.invoices.append(found)


async def _find(api: httpx.AsyncClient, spec: DemoInvoice) -> Any:
    listed = await _call(
        api,
        "GET",
        f"{ADMIN}/invoices",
        params={"tenant_id": str(spec.tenant_id), "q": spec.notes, "per_page": 50},
    )
    return next((invoice for invoice in listed if invoice["notes"] == spec.notes), None)


async def _create(api: httpx.AsyncClient, spec: DemoInvoice, today: date) -> Any:
    issue_date = today - timedelta(days=spec.issued_days_ago)
    body: dict[str, Any] = {
        "tenant_id": str(spec.tenant_id),
        "notes": spec.notes,
        "issue_date": issue_date.isoformat(),
        "due_date": (issue_date + timedelta(days=spec.due_in_days)).isoformat(),
        "status": "draft" if spec.state == "draft" else "issued",
        "items": [
            {"name": name, "quantity": quantity, "unit_price": price}
            for name, quantity, price in spec.items
        ],
    }
    if spec.paid == "all":
        body.update(status="paid", payment_method=spec.method, payment_reference=_reference(spec))
    invoice = await _call(api, "POST", f"{ADMIN}/invoices", json=body)
    if spec.paid not in (None, "all"):
        await _call(
            api,
            "POST",
            f"{ADMIN}/invoices/{invoice['id']}/payments",
            json={"amount": spec.paid, "method": spec.method, "reference": _reference(spec)},
        )
        invoice = await _call(api, "GET", f"{ADMIN}/invoices/{invoice['id']}")
    return invoice


def _reference(spec: DemoInvoice) -> str:
    return f"DEMO-{spec.tenant_id.hex[:6].upper()}-{spec.state.replace(' ', '-').upper()}"
