"""Reading and merging the operator settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models.settings import VERSION_KEY
from billing.settings.errors import CurrencyNotEnabled, InvalidSettings, PaymentMethodNotEnabled
from billing.settings.repository import SettingsRepository
from billing.settings.schemas import OperatorSettings, SettingsUpdate


@dataclass(frozen=True, slots=True)
class _Cached:
    version: str
    settings: OperatorSettings


class SettingsService:
    """Settings are one document; a PUT merges into it (nested ``seller`` fields too).

    Reads are served from a process cache keyed by the row's version (``xmin``), which every
    committed change moves, in whichever process; a request whose scope was applied already
    knows the version (it came back with the scope) and reads nothing more. The cached object
    is shared: callers must not change it.
    """

    def __init__(self) -> None:
        self._cached: _Cached | None = None

    async def get(self, session: AsyncSession) -> OperatorSettings:
        """The current settings (defaults until the first PUT)."""
        cached = self._cached
        known = session.info.get(VERSION_KEY)
        if cached is not None and known is not None and cached.version == known:
            return cached.settings
        row = await SettingsRepository(session).get_versioned()
        version, document = row if row is not None else ("none", {})
        if cached is not None and cached.version == version:
            return cached.settings
        settings = OperatorSettings.model_validate(document)
        self._cached = _Cached(version, settings)
        return settings

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
        notification_changes = changes.pop("notifications", None) or {}
        merged["notifications"] = {
            **merged["notifications"],
            **{key: value for key, value in notification_changes.items() if value is not None},
        }
        # null leaves a field as it is, except on optional fields (public_base_url), where it
        # clears the value.
        merged.update(
            {
                key: value
                for key, value in changes.items()
                if value is not None or OperatorSettings.model_fields[key].default is None
            }
        )
        try:
            validated = OperatorSettings.model_validate(merged)
        except ValidationError as exc:
            details = [
                {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
                for error in exc.errors()
            ]
            raise InvalidSettings("The settings are invalid.", details=details) from exc
        if validated.credit_note_prefix == validated.number_prefix:
            # Credit notes have their own gap-free series: with the invoices' prefix both
            # series would draw the same numbers, and each would skip the other's.
            raise InvalidSettings(
                "credit_note_prefix must differ from number_prefix.",
                details=[
                    {
                        "field": "credit_note_prefix",
                        "message": f"must differ from number_prefix ({validated.number_prefix})",
                    }
                ],
            )
        if validated.default_currency not in validated.enabled_currencies:
            validated.enabled_currencies.append(validated.default_currency)
        await repository.save_document(validated.model_dump(mode="json"))
        # The version read with the scope is stale for the rest of this transaction.
        session.info.pop(VERSION_KEY, None)
        return validated

    def check_currency(self, settings: OperatorSettings, currency: str) -> None:
        """Refuse money in a currency the operator has not enabled."""
        if currency not in settings.enabled_currencies:
            raise CurrencyNotEnabled(
                f"Currency {currency} is not enabled. Enabled currencies: "
                f"{', '.join(settings.enabled_currencies)}"
            )

    def check_payment_method(self, settings: OperatorSettings, method: str | None) -> None:
        """Refuse a switched-off method with the message clients match on."""
        if method and not settings.method_enabled(method):
            raise PaymentMethodNotEnabled.for_method(method, settings.enabled_methods())


settings = SettingsService()
