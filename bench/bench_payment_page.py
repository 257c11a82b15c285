"""The hosted payment page of a payment-link invoice (seed 004) vs the tenant's JSON read of
the same invoice, measured in the same run.

* ``GET /api/v1/public/invoices/{public_id}``: resolve the capability, narrow the scope, read
  the invoice, its link, account and payments, decide the offered methods, build the document
  model and render the HTML with its nonce'd script;
* ``GET /api/v1/public/invoices/{public_id}/payment-status``: what the page's script polls;
* baseline: ``GET /api/v1/billing/invoices/{id}`` as the tenant (JWT, scope, RLS, envelope).

No provider is called: the page only reads (provider credentials are set so that M-Pesa and
Pesapal are offered, as in a real deployment).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from bench.harness import Result, measure, print_table
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from billing.providers.mpesa import MpesaConfig
from billing.providers.pesapal import PesapalConfig
from billing.providers.registry import ProviderSettings

SELLER = {
    "legal_name": "Nordlicht Cloud Ltd",
    "country_code": "KE",
    "vat_id": "KE0123456789",
    "email": "billing@nordlicht.example",
}
PROVIDERS = ProviderSettings(
    mpesa=MpesaConfig(
        base_url="http://127.0.0.1:9",
        consumer_key="bench",
        consumer_secret=SecretStr("bench"),
        shortcode="174379",
        passkey=SecretStr("bench"),
    ),
    pesapal=PesapalConfig(
        base_url="http://127.0.0.1:9", consumer_key="bench", consumer_secret=SecretStr("bench")
    ),
)


async def run(url: str, *, seconds: float) -> list[Result]:
    """Benchmark the payment page beside the tenant's invoice read."""
    settings = Settings(database_url=url, environment="test", log_json=False)
    database = Database.connect(url, role=settings.app_role, pool_size=2, max_overflow=0)
    app = create_app(settings, database, PROVIDERS)
    admin = {"Authorization": "Bearer " + mint_token(settings, role=Role.ADMIN, subject="b")}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def post(path: str, body: object) -> dict[str, object]:
            response = await client.post(path, headers=admin, json=body)
            assert response.status_code in (200, 201), response.text
            data: dict[str, object] = response.json()["data"]
            return data

        saved = await client.put(
            "/api/v1/admin/settings",
            headers=admin,
            json={
                "seller": SELLER,
                "enable_mpesa": True,
                "enable_pesapal": True,
                "enable_cash_on_delivery": True,
                "enabled_currencies": ["EUR", "KES"],
            },
        )
        assert saved.status_code == 200, saved.text
        tenant = await post("/api/v1/admin/tenants", {"name": "B", "country_code": "KE"})
        product = await post(
            "/api/v1/admin/products",
            {"code": "FIBRE", "name": "Fibre", "unit_price": "2500", "currency": "KES"},
        )
        account = await post(
            "/api/v1/admin/payment-accounts",
            {
                "identifier": "KES-MAIN",
                "name": "Main",
                "currency": "KES",
                "accepted_methods": ["mpesa", "pesapal", "cash_on_delivery"],
            },
        )
        created = await client.post(
            "/api/v1/payments/invoices",
            headers=admin,
            json={
                "transactionId": "bench-1",
                "paymentItems": [{"code": product["code"], "quantity": 2, "unitAmount": 2500}],
                "paymentAccountIdentifier": account["identifier"],
                "tenantId": tenant["id"],
            },
        )
        assert created.status_code == 201, created.text
        data = created.json()["data"]
        page_path = urlsplit(data["paymentLinkUrl"]).path
        owner = {
            "Authorization": "Bearer "
            + mint_token(
                settings,
                role=Role.TENANT_OWNER,
                subject="o",
                tenant_id=uuid.UUID(str(tenant["id"])),
            )
        }
        first = await client.get(page_path)
        assert first.status_code == 200, first.text[:500]
        assert 'id="form-mpesa"' in first.text

        async def page() -> None:
            response = await client.get(page_path)
            assert response.status_code == 200

        async def status() -> None:
            response = await client.get(f"{page_path}/payment-status")
            assert response.status_code == 200

        async def tenant_read() -> None:
            response = await client.get(
                f"/api/v1/billing/invoices/{data['invoiceId']}", headers=owner
            )
            assert response.status_code == 200

        baseline = await measure(
            "GET /billing/invoices/{id} (tenant JSON)", tenant_read, seconds=seconds
        )
        results = [
            await measure("GET /public/invoices/{public_id} (pay page)", page, seconds=seconds),
            await measure(".../payment-status (the page's poll)", status, seconds=seconds),
        ]
    await database.dispose()
    print_table(
        f"Payment page of a seed 004 invoice ({len(first.content) / 1024:.0f} KiB of HTML)",
        results,
        baseline=baseline,
    )
    return [baseline, *results]


if __name__ == "__main__":
    import asyncio

    from bench.harness import scratch_database
    from billing.core.logging import configure_logging

    configure_logging(level="WARNING")
    with scratch_database() as database_url:
        asyncio.run(run(database_url, seconds=3.0))
