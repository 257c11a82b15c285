"""Response envelopes: ``ApiResponse[T]``, ``ListResponse[T]`` and ``ErrorResponse``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar, get_args, get_origin

from pydantic import BaseModel, Field

from billing.core.context import current_request_id
from billing.core.errors import BillingError
from billing.core.pagination import PageParams

T = TypeVar("T")


class Meta(BaseModel):
    """Metadata of every response."""

    request_id: str | None = Field(default_factory=current_request_id)


class Pagination(BaseModel):
    """Position of a page in a list."""

    page: int
    per_page: int
    total: int
    pages: int
    has_next: bool
    has_prev: bool

    @classmethod
    def of(cls, *, page: int, per_page: int, total: int) -> Pagination:
        """Pagination for ``total`` items split into pages of ``per_page``."""
        pages = math.ceil(total / per_page) if total else 0
        return cls(
            page=page,
            per_page=per_page,
            total=total,
            pages=pages,
            has_next=page < pages,
            has_prev=page > 1 and total > 0,
        )


class ApiResponse(BaseModel, Generic[T]):
    """Success envelope: ``{data, meta}``."""

    data: T
    meta: Meta = Field(default_factory=Meta)

    @classmethod
    def model_parametrized_name(cls, params: tuple[type[Any], ...]) -> str:
        """``TenantReadResponse`` rather than ``ApiResponse_TenantRead_`` in OpenAPI."""
        return f"{_type_name(params[0])}Response"


class ListResponse(BaseModel, Generic[T]):
    """List envelope: ``{data, pagination, meta}``."""

    data: list[T]
    pagination: Pagination
    meta: Meta = Field(default_factory=Meta)

    @classmethod
    def model_parametrized_name(cls, params: tuple[type[Any], ...]) -> str:
        """``TenantReadList`` in OpenAPI."""
        return f"{_type_name(params[0])}List"

    @classmethod
    def from_page(
        cls, items: Iterable[Any], *, total: int, page: PageParams, read: Callable[[Any], T]
    ) -> ListResponse[T]:
        """The envelope of one page: each item through ``read``, and its position."""
        return ListResponse(
            data=[read(item) for item in items],
            pagination=Pagination.of(page=page.page, per_page=page.per_page, total=total),
        )


def _type_name(param: Any) -> str:
    arguments = [arg for arg in get_args(param) if arg is not type(None)]
    if len(arguments) == 1 and len(get_args(param)) == 2:
        return "Optional" + _type_name(arguments[0])
    if get_origin(param) is list and arguments:
        return _type_name(arguments[0]) + "Array"
    return str(getattr(param, "__name__", None) or param).replace(" ", "")


class ErrorDetail(BaseModel):
    """The error object."""

    code: str = Field(examples=["invoice_not_found"])
    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """Error envelope: ``{error: {code, message, details}, meta}``."""

    error: ErrorDetail
    meta: Meta = Field(default_factory=Meta)


_DESCRIPTIONS = {
    400: "Rule or state violation",
    401: "Missing or invalid credentials",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    422: "Invalid request",
    429: "Rate limited",
    500: "Unexpected error",
    501: "Not implemented for this method",
    502: "Payment provider error",
    503: "Service unavailable",
    504: "Payment provider timeout",
}


def error_responses(*errors: type[BillingError] | int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the given error classes or status codes.

    Codes of several classes sharing a status are listed in the description.
    """
    by_status: dict[int, list[str]] = {}
    for error in errors:
        if isinstance(error, int):
            by_status.setdefault(error, [])
        else:
            by_status.setdefault(error.status_code, []).append(error.code)
    return {
        status: {
            "model": ErrorResponse,
            "description": _DESCRIPTIONS.get(status, "Error")
            + (f" ({', '.join(sorted(set(codes)))})" if codes else ""),
        }
        for status, codes in sorted(by_status.items())
    }
