"""Statements about the settings row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from billing.core.repository import Repository
from billing.models.settings import OperatorSettingsRow


class SettingsRepository(Repository[OperatorSettingsRow]):
    """The singleton settings row."""

    model = OperatorSettingsRow

    async def get_document(self, *, for_update: bool = False) -> dict[str, Any] | None:
        """The stored document, optionally locked for a read-modify-write."""
        statement = select(OperatorSettingsRow.document).where(OperatorSettingsRow.id == 1)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def get_versioned(self) -> tuple[str, dict[str, Any]] | None:
        """The stored document and its version (the row's ``xmin``)."""
        row = (
            await self.session.execute(
                select(text("xmin::text"), OperatorSettingsRow.document).where(
                    OperatorSettingsRow.id == 1
                )
            )
        ).one_or_none()
        return (str(row[0]), row[1]) if row is not None else None

    async def save_document(self, document: dict[str, Any]) -> None:
        """Insert or replace the document."""
        statement = insert(OperatorSettingsRow).values(id=1, document=document)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[OperatorSettingsRow.id], set_={"document": document}
            )
        )
