"""Typed business errors and the handlers that render every failure as the error envelope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from billing.core.context import current_request_id


class BillingError(Exception):
    """Base of every expected failure: a stable snake_case ``code`` and a real HTTP status."""

    code: ClassVar[str] = "billing_error"
    status_code: ClassVar[int] = 400
    message: ClassVar[str] = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.detail_message = message or type(self).message
        self.details = list(details or [])
        self.headers = dict(headers or {})
        super().__init__(self.detail_message)


class BadRequest(BillingError):
    """A rule or state violation (400)."""

    code = "bad_request"
    status_code = 400


class Unauthorized(BillingError):
    """Missing or invalid credentials (401)."""

    code = "unauthorized"
    status_code = 401
    message = "Missing or invalid credentials."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(BillingError):
    """Authenticated but not allowed (403)."""

    code = "forbidden"
    status_code = 403
    message = "You are not allowed to do this."


class NotFound(BillingError):
    """The object does not exist or is not visible to the caller (404)."""

    code = "not_found"
    status_code = 404
    message = "Not found."


class Conflict(BillingError):
    """The request conflicts with the current state (409)."""

    code = "conflict"
    status_code = 409


class Unprocessable(BillingError):
    """The request is well-formed but its content cannot be used (422)."""

    code = "validation_error"
    status_code = 422
    message = "The request is invalid."


class NotImplementedYet(BillingError):
    """A method the service knows but does not support for this operation (501)."""

    code = "not_implemented"
    status_code = 501


class UpstreamError(BillingError):
    """A payment provider failed (502)."""

    code = "provider_error"
    status_code = 502


def error_body(
    code: str, message: str, details: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The error envelope ``{error: {code, message, details}, meta: {request_id}}``."""
    return {
        "error": {"code": code, "message": message, "details": list(details or [])},
        "meta": {"request_id": current_request_id()},
    }


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON response carrying the error envelope."""
    return JSONResponse(
        error_body(code, message, details), status_code=status_code, headers=dict(headers or {})
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def render_error(error: BillingError) -> JSONResponse:
    """The envelope of ``error``; routes return it instead of raising when what the request
    recorded about the failure must be committed (a failed payment attempt, a wrong code)."""
    return error_response(
        error.status_code, error.code, error.detail_message, error.details, headers=error.headers
    )


async def _billing_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BillingError)
    return render_error(exc)


def _validation_detail(error: Mapping[str, Any]) -> dict[str, Any]:
    """One entry of ``details``: where (``loc``, ``field``), what (``message``, ``type``)."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        # FastAPI puts the character offset of the syntax error where a field name would be;
        # it is a position in the body, not a field.
        position = loc[1] if len(loc) > 1 else None
        reason = (error.get("ctx") or {}).get("error") or "JSON decode error"
        where = f" at character {position}" if position is not None else ""
        return {
            "loc": [str(part) for part in loc[:1]],
            "field": None,
            "position": position,
            "message": f"Malformed JSON{where}: {reason}",
            "type": "json_invalid",
        }
    return {
        "loc": [str(part) for part in loc],
        "field": ".".join(str(part) for part in loc[1:]) or None,
        "message": error.get("msg", ""),
        "type": error.get("type", ""),
    }


async def _validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [_validation_detail(error) for error in exc.errors()]
    summary = "; ".join(
        detail["message"]
        if detail["type"] == "json_invalid"
        else f"{detail['field'] or detail['loc'][0]}: {detail['message']}"
        for detail in details[:5]
    )
    return error_response(422, "validation_error", f"Invalid request: {summary}", details)


def _body_error(cause: BaseException) -> dict[str, Any]:
    """The ``details`` entry of a body that could not be read as JSON text."""
    if isinstance(cause, UnicodeDecodeError):
        return {
            "loc": ["body"],
            "field": None,
            "position": cause.start,
            "message": f"Malformed JSON at byte {cause.start}: not valid UTF-8 ({cause.reason})",
            "type": "json_invalid",
        }
    reason = "nested too deeply" if isinstance(cause, RecursionError) else str(cause)
    return {
        "loc": ["body"],
        "field": None,
        "position": None,
        "message": f"Malformed JSON: {reason}",
        "type": "json_invalid",
    }


async def _http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI turns every failure to read the body other than a JSON syntax error
        # (invalid UTF-8, integers beyond Python's digit limit, nesting too deep) into a bare
        # 400; it is the same client mistake as malformed JSON, so it gets the same 422.
        detail = _body_error(exc.__cause__)
        return error_response(422, "validation_error", detail["message"], [detail])
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, code, message, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Render business errors, validation errors and HTTP errors as envelopes.

    Unexpected exceptions are rendered by ``RequestContextMiddleware`` (with the request id).
    """
    app.add_exception_handler(BillingError, _billing_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
