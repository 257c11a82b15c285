"""Path lookups of saved payment method routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from billing.auth.dependencies import TenantScope
from billing.core.session import Session
from billing.models.payment_method import PaymentMethod
from billing.payments.methods.service import payment_method as payment_method_service


async def get_tenant_payment_method(
    method_id: uuid.UUID, scope: TenantScope, session: Session
) -> PaymentMethod:
    """The caller's own method (another tenant's is 404); services lock it when they change it,
    after any provider call."""
    return await payment_method_service.get(session, scope=scope, method_id=method_id)


TenantPaymentMethod = Annotated[PaymentMethod, Depends(get_tenant_payment_method)]
