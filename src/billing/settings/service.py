"""Reading and merging the operator settings."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.settings.errors import InvalidSettings, PaymentMethodNotEnabled
from billing.settings.repository import SettingsRepository
from billing.settings.schemas import OperatorSettings, SettingsUpdate


class SettingsService:
    """Settings are one document; a PUT merges into it (nested ``seller`` fields too)."""

    async def get(self, session: AsyncSession) -> OperatorSettings:
        """The current settings (defaults until the first PUT)."""
        document = await SettingsRepository(session).get_document()
        return OperatorSettings.model_validate(document or {})

    async def update(self, session: AsyncSession, body: SettingsUpdate) -> OperatorSettings:
        """Merge ``body`` into the stored document and validate the result as a whole."""
        repository = SettingsRepository(session)
        current = await repository.get_document(for_update=True) or {}
        merged: dict[str, Any] = OperatorSettings.model_validate(current).model_dump(mode="json")
        changes = body.model_dump(exclude_unset=True, mode="json")
        # exclude_unset reaches into the nested Seller: only the fields sent are merged, and
        # an explicit null clears one.
        seller_changes = changes.pop("seller", None) or {}
        merged["seller"] = {**merged["seller"], **seller_changes}
        subscription_changes = changes.pop("subscriptions", None) or {}
        merged["subscriptions"] = {
            **merged["subscriptions"],
            **{key: value for key, value in subscription_changes.items() if value is not None},
        }
        merged.update({key: value for key, value in changes.items() if value is not None})
        try:
            validated = OperatorSettings.model_validate(merged)
        except ValidationError as exc:
            details = [
                {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
                for error in exc.errors()
            ]
            raise InvalidSettings("The settings are invalid.", details=details) from exc
        if validated.default_currency not in validated.enabled_currencies:
            validated.enabled_currencies.append(validated.default_currency)
        await repository.save_document(validated.model_dump(mode="json"))
        return validated

    def check_payment_method(self, settings: OperatorSettings, method: str | None) -> None:
        """Refuse a switched-off method with the message clients match on."""
        if method and not settings.method_enabled(method):
            raise PaymentMethodNotEnabled.for_method(method, settings.enabled_methods())


settings = SettingsService()
