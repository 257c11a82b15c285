"""OpenAPI generation: stable operation ids and the checked-in ``openapi.json``."""

from __future__ import annotations

import json
import re
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from billing.core.schemas import mark_text


def operation_id(route: APIRoute) -> str:
    """The route's name (``tenants_list``) is its operation id: short, stable, readable."""
    return route.name


BEARER_JWT = "bearerJwt"
BEARER_API_KEY = "bearerApiKey"
MERCHANT_SECRET_KEY = "merchantSecretKey"

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    BEARER_JWT: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "`Authorization: Bearer <JWT>` with the claims `sub`, `role`, "
        "`tenant_id` (tenant roles) or `reseller_id` (resellers) and `exp`. "
        "`billing token --role admin` prints one for development.",
    },
    BEARER_API_KEY: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "bk_... API key",
        "description": "`Authorization: Bearer bk_...`: an API key issued at "
        "`POST /api/v1/admin/api-keys` (server to server), limited to its scopes.",
    },
    MERCHANT_SECRET_KEY: {
        "type": "apiKey",
        "in": "header",
        "name": "irembopay-secretKey",
        "description": "Seed 004's merchant key header: the same `bk_...` API key as "
        "`Authorization: Bearer`, accepted on the payment-link invoice routes only.",
    },
}
"""Both bearer schemes travel in the same header; a route that needs a caller accepts either.
The payment-link invoice routes also take the key in seed 004's own header."""

AUTHENTICATED: list[dict[str, list[str]]] = [{BEARER_JWT: []}, {BEARER_API_KEY: []}]
MERCHANT: list[dict[str, list[str]]] = [*AUTHENTICATED, {MERCHANT_SECRET_KEY: []}]
PUBLIC: list[dict[str, list[str]]] = []


def _reaches(dependant: Dependant, call: object) -> bool:
    pending = [dependant]
    while pending:
        dependant = pending.pop()
        if dependant.call is call:
            return True
        pending.extend(dependant.dependencies)
    return False


def requires_principal(dependant: Dependant) -> bool:
    """True when a route's dependencies reach (at any depth) the authenticated caller."""
    from billing.auth.dependencies import get_merchant_principal, get_principal

    return _reaches(dependant, get_principal) or _reaches(dependant, get_merchant_principal)


def route_security(dependant: Dependant) -> list[dict[str, list[str]]]:
    """The ``security`` of an operation, from what its dependencies authenticate."""
    from billing.auth.dependencies import get_merchant_principal

    if _reaches(dependant, get_merchant_principal):
        return MERCHANT
    return AUTHENTICATED if requires_principal(dependant) else PUBLIC


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the security schemes and each operation's ``security``.

    Which routes are public is read from their dependencies rather than from a list, so a new
    route is documented correctly by construction: it needs a caller exactly when it depends
    on ``get_principal``. Public routes state ``security: []``.
    """
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    components = schema.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    rename_generic_schemas(schema)
    name_enum_members(components.get("schemas", {}))
    # Included routers are resolved lazily; iter_route_contexts yields each route with its
    # full path and the dependencies it runs with, as FastAPI's own document generation does.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        security = route_security(route.dependant)
        operations = schema["paths"].get(route.path_format, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is not None:
                operation["security"] = security
    # Query and path values are checked for control characters like body text
    # (``billing.routing.request_problems``); the spec says so on every free-text parameter.
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                if parameter.get("in") in ("query", "path") and "schema" in parameter:
                    mark_text(parameter["schema"])
            _errors_are_json(operation)
    app.openapi_schema = schema
    return schema


_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}


def _errors_are_json(operation: dict[str, Any]) -> None:
    """Error envelopes are JSON on every route, HTML pages included; FastAPI files a route's
    error models under the route's own media type (``text/html``)."""
    for response in operation.get("responses", {}).values():
        content = response.get("content", {})
        for media_type in [media for media in content if media != "application/json"]:
            if content[media_type].get("schema") == _ERROR_SCHEMA:
                content.setdefault("application/json", content.pop(media_type))


_GENERIC = re.compile(r"^(ApiResponse|ListResponse)_")
_REF = "#/components/schemas/"


def rename_generic_schemas(schema: dict[str, Any]) -> None:
    """Give envelope schemas the names their models choose (``model_parametrized_name``).

    Pydantic titles ``ApiResponse[BillingProfileRead | None]`` as
    ``OptionalBillingProfileReadResponse`` but keys its definition by the parametrization
    (``ApiResponse_Union_BillingProfileRead__NoneType__``), and generators that name models
    after the key (the TypeScript one) print that. Each envelope is renamed to its title and
    every reference follows.

    Raises:
        RuntimeError: a title is already another schema's name.
    """
    schemas: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    renames = {
        name: body["title"]
        for name, body in schemas.items()
        if _GENERIC.match(name) and body.get("title") and body["title"] != name
    }
    if not renames:
        return
    taken = set(schemas) - set(renames)
    clashes = sorted(title for title in renames.values() if title in taken)
    if clashes or len(set(renames.values())) != len(renames):
        raise RuntimeError(f"envelope schema names clash: {clashes or sorted(renames.values())}")
    renamed = {renames.get(name, name): body for name, body in schemas.items()}
    schema["components"]["schemas"] = dict(sorted(renamed.items()))
    refs = {f"{_REF}{old}": f"{_REF}{new}" for old, new in renames.items()}

    def follow(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in refs:
                node["$ref"] = refs[ref]
            for value in node.values():
                follow(value)
        elif isinstance(node, list):
            for value in node:
                follow(value)

    follow(schema)


def _enum_classes(base: type[Enum] = StrEnum) -> dict[str, list[type[Enum]]]:
    """Every loaded subclass of ``base`` by class name."""
    found: dict[str, list[type[Enum]]] = {}
    pending = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        found.setdefault(cls.__name__, []).append(cls)
        pending.extend(cls.__subclasses__())
    return found


def name_enum_members(schemas: dict[str, Any]) -> None:
    """``x-enum-varnames`` on every enum schema: the Python member names.

    Generators otherwise derive names from values (``billing:read`` becomes ``BILLINGREAD``);
    openapi-python-client and @hey-api/openapi-ts read this extension. An enum with no matching
    Python class gets names made from its values (``billing:read`` -> ``BILLING_READ``).
    """
    classes = _enum_classes()
    for name, body in schemas.items():
        values = body.get("enum")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            continue
        match = next(
            (cls for cls in classes.get(name, []) if [member.value for member in cls] == values),
            None,
        )
        if match is not None:
            by_value = {member.value: member.name for member in match}
            body["x-enum-varnames"] = [by_value[value] for value in values]
        else:
            body["x-enum-varnames"] = [
                re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_").upper() or "EMPTY"
                for value in values
            ]


def install_openapi(app: FastAPI) -> None:
    """Serve ``build_openapi`` at ``/openapi.json`` (and from ``app.openapi()``)."""

    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]


def render_openapi(app: FastAPI) -> str:
    """The OpenAPI document as stable, diff-friendly JSON."""
    schema: dict[str, Any] = app.openapi()
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def write_openapi(app: FastAPI, path: Path) -> bool:
    """Write the document; returns True when the file changed."""
    rendered = render_openapi(app)
    if path.exists() and path.read_text(encoding="utf-8") == rendered:
        return False
    path.write_text(rendered, encoding="utf-8")
    return True
