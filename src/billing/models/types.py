"""Column types shared by the models."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E], Generic[E]):
    """A ``StrEnum`` stored as its value in a VARCHAR column.

    Writing a value that is not a member fails before it reaches the database; reading gives
    the member back, so code compares members, never bare strings.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """The member's value (a plain string must name a member)."""
        if value is None:
            return None
        return self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        """The member for a stored value."""
        if value is None:
            return None
        return self.enum(value)

    @property
    def python_type(self) -> type[E]:
        """The enum class."""
        return self.enum
