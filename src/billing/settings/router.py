"""Admin routes for the operator settings (``/api/v1/admin/settings``)."""

from __future__ import annotations

from billing.auth.dependencies import StaffScope, require
from billing.auth.principal import Permission
from billing.core.envelope import ApiResponse, error_responses
from billing.core.gated_router import GatedRouter
from billing.core.session import Session
from billing.routing import TransactionalRoute
from billing.settings.errors import InvalidSettings
from billing.settings.schemas import OperatorSettings, SettingsUpdate
from billing.settings.service import settings as settings_service

router = GatedRouter(prefix="/settings", tags=["settings"], route_class=TransactionalRoute)


@router.get("", name="settings_get", dependencies=[require(Permission.SETTINGS_READ)])
async def get_settings(scope: StaffScope, session: Session) -> ApiResponse[OperatorSettings]:
    """The operator settings."""
    return ApiResponse(data=await settings_service.get(session))


@router.put(
    "",
    name="settings_update",
    dependencies=[require(Permission.SETTINGS_WRITE)],
    responses=error_responses(InvalidSettings),
)
async def update_settings(
    body: SettingsUpdate, scope: StaffScope, session: Session
) -> ApiResponse[OperatorSettings]:
    """Merge changes into the settings; fields left out (also in ``seller``) keep their values."""
    return ApiResponse(data=await settings_service.update(session, body))
