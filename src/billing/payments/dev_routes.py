"""Development-only routes (seed 000): 404 unless ``BILLING_ENABLE_TEST_ROUTES=true``.

They exist to exercise checkout locally without a real provider: a sample invoice, the
payment switches, and simulated M-Pesa callbacks and Pesapal IPNs that go through exactly the
same path as real deliveries (stored in the inbox, settled by the job after the provider
confirms). They are not part of the public API document.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from billing.auth.dependencies import DevelopmentScope
from billing.auth.principal import ROLE_PERMISSIONS, Principal, Role
from billing.core.envelope import ApiResponse
from billing.core.session import Session
from billing.invoices.dependencies import PresentationDep
from billing.invoices.schemas import InvoiceCreate, InvoiceRead, LineInput
from billing.invoices.service import invoice as invoice_service
from billing.models.states import InvoiceStatus
from billing.models.tenant import Tenant
from billing.payments.dependencies import Providers
from billing.payments.schemas import PaymentRead, TransactionRead
from billing.payments.service import payment as payment_service
from billing.payments.webhooks.receive import receive
from billing.providers.base import ProviderKey
from billing.routing import development_router
from billing.settings.schemas import SettingsUpdate
from billing.settings.service import settings as settings_service
from billing.tenants.repository import TenantRepository

router = development_router()

TEST_PRINCIPAL = Principal(
    kind="user", subject="test-routes", role=Role.ADMIN, permissions=ROLE_PERMISSIONS[Role.ADMIN]
)


class SampleInvoice(BaseModel):
    """Options of the sample invoice."""

    tenant_id: uuid.UUID | None = None
    currency: str = "KES"


class SimulatedMpesaCallback(BaseModel):
    """An STK result to simulate."""

    checkout_request_id: str
    result_code: int = 0
    amount: Decimal | None = None
    receipt: str = Field(default_factory=lambda: "TST" + uuid.uuid4().hex[:7].upper())
    phone_number: str = "254708374149"


class SimulatedIpn(BaseModel):
    """A Pesapal IPN to simulate (the status is still fetched from Pesapal)."""

    order_tracking_id: str
    merchant_reference: str = ""
    notification_type: str = "IPNCHANGE"


class TestInvoice(BaseModel):
    """An invoice with its payments and attempts."""

    invoice: InvoiceRead
    payments: list[PaymentRead]
    transactions: list[TransactionRead]


@router.post("/invoice", name="test_create_invoice", status_code=201)
async def create_sample_invoice(
    scope: DevelopmentScope,
    session: Session,
    presentation: PresentationDep,
    body: SampleInvoice | None = None,
) -> ApiResponse[InvoiceRead]:
    """Create an issued sample invoice with test items (and a test tenant when none is named)."""
    body = body or SampleInvoice()
    tenant_id = body.tenant_id
    if tenant_id is None:
        tenant = Tenant(id=uuid.uuid4(), name="Test tenant", default_currency=body.currency)
        await TenantRepository(session, scope).create(tenant)
        tenant_id = tenant.id
    created = await invoice_service.create(
        session,
        scope=scope,
        principal=TEST_PRINCIPAL,
        body=InvoiceCreate(
            tenant_id=tenant_id,
            currency=body.currency,
            status=InvoiceStatus.ISSUED,
            items=[
                LineInput(name="Test item A", quantity=Decimal(2), unit_price=Decimal("50.00")),
                LineInput(name="Test item B", quantity=Decimal(1), unit_price=Decimal("100.00")),
            ],
        ),
    )
    return ApiResponse(data=presentation.read(created))


@router.post("/payment-methods/seed", name="test_seed_payment_methods")
async def seed_payment_methods(session: Session) -> ApiResponse[list[str]]:
    """Switch on M-Pesa, Pesapal and cash on delivery."""
    updated = await settings_service.update(
        session,
        SettingsUpdate(enable_mpesa=True, enable_pesapal=True, enable_cash_on_delivery=True),
    )
    return ApiResponse(data=updated.enabled_methods())


@router.post("/mpesa/callback", name="test_mpesa_callback")
async def simulate_mpesa_callback(
    body: SimulatedMpesaCallback, session: Session, providers: Providers
) -> ApiResponse[dict[str, str]]:
    """Feed a Daraja-shaped STK result through the real callback handler."""
    items: list[dict[str, Any]] = []
    if body.result_code == 0:
        items = [
            {"Name": "Amount", "Value": float(body.amount or 0)},
            {"Name": "MpesaReceiptNumber", "Value": body.receipt},
            {"Name": "TransactionDate", "Value": 20260101120000},
            {"Name": "PhoneNumber", "Value": int(body.phone_number)},
        ]
    stk: dict[str, Any] = {
        "MerchantRequestID": "test",
        "CheckoutRequestID": body.checkout_request_id,
        "ResultCode": body.result_code,
        "ResultDesc": "Simulated",
    }
    if items:
        stk["CallbackMetadata"] = {"Item": items}
    raw = json.dumps({"Body": {"stkCallback": stk}}).encode()
    event = await providers.build(ProviderKey.MPESA).parse_callback(raw, {}, {})
    stored = await receive(session, ProviderKey.MPESA, event, raw, {})
    return ApiResponse(data={"outcome": "queued" if stored.new else "duplicate"})


@router.post("/pesapal/ipn", name="test_pesapal_ipn")
async def simulate_pesapal_ipn(
    body: SimulatedIpn, session: Session, providers: Providers
) -> ApiResponse[dict[str, str]]:
    """Feed an IPN through the real handler (which fetches the status from Pesapal)."""
    query = {
        "OrderTrackingId": body.order_tracking_id,
        "OrderMerchantReference": body.merchant_reference,
        "OrderNotificationType": body.notification_type,
    }
    event = await providers.build(ProviderKey.PESAPAL).parse_callback(b"", {}, query)
    await receive(session, ProviderKey.PESAPAL, event, b"", query, process_repeats=True)
    return ApiResponse(data={"outcome": "queued"})


@router.get("/invoice/{invoice_id}", name="test_get_invoice")
async def test_invoice(
    invoice_id: uuid.UUID, scope: DevelopmentScope, session: Session, presentation: PresentationDep
) -> ApiResponse[TestInvoice]:
    """An invoice with its payments and payment attempts."""
    found = await invoice_service.get(session, scope=scope, invoice_id=invoice_id)
    rows = await payment_service.for_invoice(session, scope=scope, invoice=found)
    attempts = await payment_service.invoice_transactions(
        session, scope=scope, invoice_id=invoice_id
    )
    return ApiResponse(
        data=TestInvoice(
            invoice=presentation.read(found),
            payments=[
                PaymentRead.model_validate(payment).updated(allocated_amount=net)
                for payment, net in rows
            ],
            transactions=[TransactionRead.model_validate(item) for item in attempts],
        )
    )


@router.get("/transaction/{reference}", name="test_get_transaction")
async def test_transaction(
    reference: str, scope: DevelopmentScope, session: Session
) -> ApiResponse[TransactionRead]:
    """A transaction with its gateway data."""
    found = await payment_service.transaction(session, scope=scope, reference=reference)
    return ApiResponse(data=TransactionRead.model_validate(found))
