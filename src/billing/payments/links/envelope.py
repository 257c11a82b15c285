"""Seed 004's envelope: ``{success, message, data}`` and ``{success, message, errors: [{code,
detail}]}``, with the service's ``meta`` (request id) on both.

``SeedRoute`` renders every failure of a seed route in that shape: request validation errors
become 400s with the seed's codes (a missing ``transactionId`` is ``TRANSACTION_ID_MISSING``,
a malformed item ``BAD_PRODUCT``...), business errors keep their status with their code in
upper case, bad credentials are ``AUTHENTICATION_FAILED`` (the seed's name).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from billing.core.envelope import ErrorResponse, Meta
from billing.core.errors import BillingError, Forbidden, Unauthorized
from billing.payments.links.errors import (
    BadCustomerContact,
    BadDescription,
    BadExpirationDate,
    BadLanguage,
    BadProduct,
    InvalidRequest,
    PaymentAccountMissing,
    ProductMissing,
    SeedError,
    TenantNotFound,
    TransactionIdMissing,
    UnknownField,
)
from billing.payments.links.schemas import PaymentInvoiceErrorResponse, SeedErrorItem
from billing.routing import TransactionalRoute

_MESSAGES = {
    400: "Invalid request",
    401: "Unauthorized request",
    403: "Forbidden request",
    404: "Resource not found",
    409: "Conflict with the current state",
    422: "Unprocessable request",
    429: "Too many requests",
}

_FIELD_ERRORS: dict[str, type[SeedError]] = {
    "transactionId": TransactionIdMissing,
    "paymentAccountIdentifier": PaymentAccountMissing,
    "expiryAt": BadExpirationDate,
    "language": BadLanguage,
    "customer": BadCustomerContact,
    "description": BadDescription,
    "tenantId": TenantNotFound,
}


def seed_code(kind: type[BillingError]) -> str:
    """The seed's code of an error class (upper case; bad credentials are the seed's
    ``AUTHENTICATION_FAILED``)."""
    if issubclass(kind, SeedError):
        return kind.seed_code
    if issubclass(kind, Unauthorized):
        return "AUTHENTICATION_FAILED"
    if issubclass(kind, Forbidden):
        return "FORBIDDEN"
    return kind.code.upper()


def seed_error_response(
    status_code: int,
    errors: Sequence[SeedErrorItem],
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON response in seed 004's error envelope."""
    body = PaymentInvoiceErrorResponse(
        message=_MESSAGES.get(status_code, HTTPStatus(status_code).phrase),
        errors=list(errors),
        meta=Meta(),
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status_code, headers=dict(headers or {})
    )


def _path(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _validation_item(error: Mapping[str, Any]) -> SeedErrorItem:
    loc = tuple(error.get("loc", ()))
    kind = str(error.get("type", ""))
    message = str(error.get("msg", ""))
    if len(loc) < 2 or loc[0] != "body":
        where = _path(loc[1:]) if len(loc) > 1 else "body"
        if kind == "json_invalid":
            return SeedErrorItem(code=InvalidRequest.seed_code, detail=f"Malformed JSON: {message}")
        return SeedErrorItem(code=InvalidRequest.seed_code, detail=f"{where}: {message}")
    field = str(loc[1])
    where = _path(loc[1:])
    if kind == "extra_forbidden" and len(loc) == 2:
        return SeedErrorItem(
            code=UnknownField.seed_code, detail=f"{field} is not a field of this API."
        )
    if field == "paymentItems":
        empty = len(loc) == 2 and kind in ("missing", "too_short")
        error_class: type[SeedError] = ProductMissing if empty else BadProduct
    else:
        error_class = _FIELD_ERRORS.get(field, InvalidRequest)
    if kind == "missing" and len(loc) == 2:
        return SeedErrorItem(code=error_class.seed_code, detail=error_class.message)
    return SeedErrorItem(code=error_class.seed_code, detail=f"{where}: {message}")


def _unreadable_body(cause: BaseException) -> SeedErrorItem:
    if isinstance(cause, UnicodeDecodeError):
        detail = f"Malformed JSON: not valid UTF-8 at byte {cause.start} ({cause.reason})"
    elif isinstance(cause, RecursionError):
        detail = "Malformed JSON: nested too deeply"
    else:
        detail = f"Malformed JSON: {cause}"
    return SeedErrorItem(code=InvalidRequest.seed_code, detail=detail)


def seed_validation_errors(errors: Sequence[Mapping[str, Any]]) -> list[SeedErrorItem]:
    """The seed's errors for pydantic's, one per code and place, in the body's order."""
    items: list[SeedErrorItem] = []
    for error in errors:
        item = _validation_item(error)
        if item not in items:
            items.append(item)
    return items


class SeedRoute(TransactionalRoute):
    """A transactional route whose failures use seed 004's envelope."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the transactional handler (which has rolled back by the time we render)."""
        handler = super().get_route_handler()

        async def seed_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return seed_error_response(400, seed_validation_errors(exc.errors()))
            except HTTPException as exc:
                if exc.status_code != 400 or exc.__cause__ is None:
                    raise
                # FastAPI's answer to a body it could not read as JSON text (invalid UTF-8,
                # an integer beyond Python's digit limit): malformed JSON like any other.
                return seed_error_response(400, [_unreadable_body(exc.__cause__)])
            except BillingError as exc:
                detail = exc.detail_message
                return seed_error_response(
                    exc.status_code,
                    [SeedErrorItem(code=seed_code(type(exc)), detail=detail)],
                    headers=exc.headers,
                )

        return seed_handler


def seed_error_responses(
    errors: Mapping[int, Sequence[type[BillingError] | str]],
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` of a seed route: each status with the seed codes it carries."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status, kinds in sorted(errors.items()):
        codes = sorted({kind if isinstance(kind, str) else seed_code(kind) for kind in kinds})
        documented[status] = {
            "model": PaymentInvoiceErrorResponse,
            "description": f"{_MESSAGES.get(status, HTTPStatus(status).phrase)}: "
            + ", ".join(codes),
        }
    documented[500] = {"model": ErrorResponse, "description": "Unexpected error"}
    return documented
