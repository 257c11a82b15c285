"""A provider delivery is acknowledged without waiting on the provider.

The fake Daraja is made to stall every STK Query for 5 s. An M-Pesa STK callback (with the
URL's token) through the full stack is stored and queued and answered at once, because the
settlement job, not the request, asks Daraja. Beside it, in the same run: a bare asyncpg INSERT
of the same inbox row (the floor), and the payer's status check, which does ask Daraja (three
samples: it takes the 5 s).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid

import asyncpg
import httpx

from bench.harness import Result, measure, print_table
from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings
from billing.core.db import Database, libpq_database_url
from billing.main import create_app
from billing.payments.callback_urls import mpesa_stk_url
from billing.providers.mpesa import MpesaConfig
from billing.providers.registry import ProviderSettings
from billing_fakes.daraja import SANDBOX_PASSKEY, SANDBOX_SHORTCODE, create_daraja_app
from billing_fakes.server import FakeServer

STALL_MS = 5000


def _callback(checkout_id: str) -> dict[str, object]:
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "bench",
                "CheckoutRequestID": checkout_id,
                "ResultCode": 0,
                "ResultDesc": "ok",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": 100},
                        {"Name": "MpesaReceiptNumber", "Value": "BENCH1"},
                    ]
                },
            }
        }
    }


async def run(url: str, *, seconds: float) -> list[Result]:
    """Benchmark ``POST /api/v1/callbacks/mpesa`` while Daraja stalls."""
    with FakeServer(create_daraja_app(), name="daraja") as daraja:
        providers = ProviderSettings(
            mpesa=MpesaConfig(
                base_url=daraja.base_url,
                consumer_key="fake-daraja-consumer-key",
                consumer_secret="fake-daraja-consumer-secret",
                shortcode=SANDBOX_SHORTCODE,
                passkey=SANDBOX_PASSKEY,
            )
        )
        settings = Settings(database_url=url, environment="test", log_json=False)
        database = Database.connect(url, role=settings.app_role, pool_size=2, max_overflow=0)
        app = create_app(settings, database, providers)
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
            httpx.AsyncClient(timeout=30) as control,
        ):
            await control.post(
                daraja.url("/__control/faults"),
                json={
                    "path": "/mpesa/stkpushquery/v1/query",
                    "delay_ms": STALL_MS,
                    "status": 500,
                    "count": 1000,
                },
            )
            callback_url = mpesa_stk_url("http://bench", settings)

            async def delivery() -> None:
                body = _callback(f"ws_CO_{uuid.uuid4().hex}")
                response = await client.post(callback_url, json=body)
                assert response.status_code == 200, response.text

            connection = await asyncpg.connect(libpq_database_url(url))
            insert = await connection.prepare(
                "INSERT INTO webhook_events (id, provider, dedupe_key, kind, provider_ref, payload)"
                " VALUES ($1, 'mpesa', $2, 'payment', $3, $4::jsonb)"
            )

            async def bare() -> None:
                checkout_id = f"ws_CO_{uuid.uuid4().hex}"
                await insert.fetch(
                    uuid.uuid4(), checkout_id, checkout_id, json.dumps(_callback(checkout_id))
                )

            baseline = await measure(
                "asyncpg INSERT of the inbox row (owner)", bare, seconds=seconds
            )
            results = [
                await measure(
                    f"POST /callbacks/mpesa, Daraja stalled {STALL_MS / 1000:.0f} s",
                    delivery,
                    seconds=seconds,
                )
            ]
            await connection.close()
            stalled = await _status_checks(client, settings)
        await database.dispose()
    print_table(
        "Provider deliveries: acknowledged without the provider", results, baseline=baseline
    )
    print(
        f"for contrast, a status check that asks the stalled Daraja: p50"
        f" {statistics.median(stalled) * 1000:.0f} ms over {len(stalled)} requests"
    )
    return [baseline, *results]


async def _status_checks(client: httpx.AsyncClient, settings: Settings) -> list[float]:
    """Time the public STK status route of pending pushes (it asks the stalled Daraja)."""
    headers = {"Authorization": "Bearer " + mint_token(settings, role=Role.ADMIN, subject="b")}
    await client.put(
        "/api/v1/admin/settings",
        headers=headers,
        json={"enable_mpesa": True, "enabled_currencies": ["KES"]},
    )
    tenant = await client.post(
        "/api/v1/admin/tenants", headers=headers, json={"name": "T", "default_currency": "KES"}
    )
    samples: list[float] = []
    for _ in range(3):
        invoice = await client.post(
            "/api/v1/admin/invoices",
            headers=headers,
            json={
                "tenant_id": tenant.json()["data"]["id"],
                "status": "issued",
                "items": [{"name": "Line", "unit_price": "100", "tax_rate": "0"}],
            },
        )
        push = await client.post(
            "/api/v1/payments/mpesa/initiate",
            json={
                "invoice_number": invoice.json()["data"]["invoice_number"],
                "phone_number": "0708374149",
            },
        )
        checkout_id = push.json()["data"]["checkout_request_id"]
        started = time.perf_counter()
        await client.get(f"/api/v1/payments/mpesa/{checkout_id}/status")
        samples.append(time.perf_counter() - started)
    return samples
