"""Keyset pagination: a list's order as an index can follow it, and cursors into that order.

Every list orders by one key and then by the row id. A NULL key sorts last; to keep the order
a plain comparison of two non-NULL values, the key is compared as ``COALESCE(key, last)``
where ``last`` is the end of the key's domain (``-infinity`` for a descending date), and the
id runs in the key's direction. The page after a cursor is then one row comparison,
``(sort key, id) < (cursor key, cursor id)``, which an index on ``(tenant_id, sort key, id)``
answers without reading the rows before it: page 5,000 costs what page 1 costs.

A cursor is opaque to clients: the order's name, the last row's key and id, base64url-encoded.
A cursor is not a capability (row-level security still decides what is visible); a forged or
stale one reads a valid position or is refused with 422.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Numeric,
    String,
    cast,
    func,
    literal,
    literal_column,
    tuple_,
)
from sqlalchemy.orm import InstrumentedAttribute

from billing.core.errors import Unprocessable

Key = date | datetime | Decimal | str


class InvalidCursor(Unprocessable):
    """The cursor was not issued for this list's order."""

    code = "invalid_cursor"


@dataclass(frozen=True, slots=True)
class SortOrder:
    """A list's order: ``key`` (NULLs last) in one direction, then the id in the same one."""

    name: str
    key: InstrumentedAttribute[Any]
    id: InstrumentedAttribute[uuid.UUID]
    descending: bool = False

    def sort_key(self) -> ColumnElement[Any]:
        """The key with NULL replaced by the end of its domain (NULLs sort last)."""
        column = self.key.property.columns[0]
        if not column.nullable:
            return self.key.expression
        # Inline, not a bound parameter: an index on the same expression must match it.
        return func.coalesce(self.key, cast(literal_column(self._last_sql()), self.key.type))

    def order_by(self) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
        """The ORDER BY clauses."""
        key = self.sort_key()
        if self.descending:
            return key.desc(), self.id.desc()
        return key.asc(), self.id.asc()

    def after(self, cursor: Cursor) -> ColumnElement[bool]:
        """Rows after ``cursor`` in this order: one row comparison."""
        if cursor.order != self.name:
            raise InvalidCursor(
                f"The cursor belongs to the order {cursor.order!r}, not {self.name!r}; "
                "start again without a cursor."
            )
        row = tuple_(self.sort_key(), self.id)
        bound = tuple_(literal(cursor.key, self.key.type), literal(cursor.id))
        return row < bound if self.descending else row > bound

    def cursor_of(self, item: Any) -> str:
        """The cursor positioned after ``item`` (a model instance of this list)."""
        value = getattr(item, self.key.key)
        return Cursor(
            order=self.name, key=self._last() if value is None else value, id=item.id
        ).encode()

    def decode(self, token: str) -> Cursor:
        """The cursor ``token``, its key parsed as this order's type.

        Raises:
            InvalidCursor: not a cursor of this list.
        """
        return Cursor.decode(token, self._parse)

    def _column_type(self) -> type[Any]:
        column_type = self.key.type
        if isinstance(column_type, DateTime):
            return datetime
        if isinstance(column_type, Date):
            return date
        if isinstance(column_type, Numeric):
            return Decimal
        if isinstance(column_type, String):
            return str
        raise TypeError(f"no keyset order over {column_type!r}")

    def _last(self) -> Key:
        """Where NULLs go: after every value for dates and times (asyncpg sends ``date.min``
        and ``date.max`` as PostgreSQL's ``-infinity`` and ``infinity``); for text, the empty
        string, which sorts last only when descending (ascending, rows without a value come
        first)."""
        kind = self._column_type()
        if kind is datetime:
            earliest, latest = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
            return earliest if self.descending else latest
        if kind is date:
            return date.min if self.descending else date.max
        if kind is str:
            return ""
        raise TypeError(f"no NULL placement for {self.key!r}; make the key NOT NULL")

    def _last_sql(self) -> str:
        """``_last()`` as an SQL literal."""
        kind = self._column_type()
        if kind is str:
            return "''"
        return "'-infinity'" if self.descending else "'infinity'"

    def _parse(self, raw: Any) -> Key:
        kind = self._column_type()
        if not isinstance(raw, str):
            raise InvalidCursor("The cursor is malformed; start again without a cursor.")
        try:
            if kind is datetime:
                return datetime.fromisoformat(raw)
            if kind is date:
                return date.fromisoformat(raw)
            if kind is Decimal:
                value = Decimal(raw)
                column_type = self.key.type
                digits = (column_type.precision or 38) - (column_type.scale or 0)
                if not value.is_finite() or abs(value) >= Decimal(10) ** digits:
                    raise InvalidOperation
                return value
        except (ValueError, InvalidOperation) as exc:
            raise InvalidCursor("The cursor is malformed; start again without a cursor.") from exc
        return raw


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in a list: after the row with this key and id."""

    order: str
    key: Key
    id: uuid.UUID

    def encode(self) -> str:
        """The opaque token handed to clients."""
        key = self.key.isoformat() if isinstance(self.key, date) else str(self.key)
        payload = json.dumps([self.order, key, str(self.id)], separators=(",", ":"))
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, parse_key: Any) -> Cursor:
        """Parse ``token``; ``parse_key`` turns the stored key into the column's type."""
        malformed = InvalidCursor("The cursor is malformed; start again without a cursor.")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            order, key, row_id = json.loads(raw)
            if not isinstance(order, str) or not isinstance(row_id, str):
                raise malformed
            return cls(order=order, key=parse_key(key), id=uuid.UUID(row_id))
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
            raise malformed from exc
