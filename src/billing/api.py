"""The router tree under ``/api/v1``: admin (staff and resellers), billing (tenants), public."""

from __future__ import annotations

from fastapi import APIRouter

from billing.auth.router import router as api_keys_router
from billing.core.envelope import error_responses
from billing.resellers.router import router as resellers_router
from billing.tenants.router import router as tenants_router

API_PREFIX = "/api/v1"

_AUTHENTICATED_ERRORS = error_responses(401, 403, 422, 500)

admin_router = APIRouter(prefix="/admin", responses=_AUTHENTICATED_ERRORS)
admin_router.include_router(tenants_router)
admin_router.include_router(resellers_router)
admin_router.include_router(api_keys_router)

billing_router = APIRouter(prefix="/billing", responses=_AUTHENTICATED_ERRORS)

api_router = APIRouter(prefix=API_PREFIX)
api_router.include_router(admin_router)
api_router.include_router(billing_router)
