"""Errors of API key management."""

from __future__ import annotations

from billing.core.errors import BadRequest, NotFound


class ApiKeyNotFound(NotFound):
    """No API key has this id."""

    code = "api_key_not_found"
    message = "API key not found."


class InvalidApiKeyScopes(BadRequest):
    """The scopes do not fit the kind of key."""

    code = "api_key_scopes_invalid"
