"""The committed openapi.json matches the app; operation ids are readable."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from billing.openapi import render_openapi

ROOT = Path(__file__).resolve().parents[1]


def test_openapi_json_is_current(app: FastAPI) -> None:
    committed = (ROOT / "openapi.json").read_text(encoding="utf-8")
    assert committed == render_openapi(app), "openapi.json is stale: run `make openapi`"


def test_operation_ids_are_short_and_unique(app: FastAPI) -> None:
    schema = json.loads(render_openapi(app))
    ids = [
        operation["operationId"] for path in schema["paths"].values() for operation in path.values()
    ]
    assert len(ids) == len(set(ids))
    assert all("api_v1" not in op and len(op) <= 40 for op in ids)
    assert "tenants_list" in ids


def test_every_authenticated_route_documents_errors(app: FastAPI) -> None:
    schema = json.loads(render_openapi(app))
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1/admin") or path.startswith("/api/v1/billing"):
                assert {"401", "403", "422"} <= set(operation["responses"]), (method, path)


def _schema(app: FastAPI) -> dict[str, Any]:
    return dict(json.loads(render_openapi(app)))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _string_branch(prop: dict[str, Any]) -> dict[str, Any]:
    options = prop.get("anyOf", [prop])
    return dict(next(option for option in options if option.get("type") == "string"))


class TestDecimals:
    def test_no_pydantic_only_keywords_leak_into_the_spec(self, app: FastAPI) -> None:
        leaked = {"ge", "gt", "le", "lt", "max_digits", "decimal_places"}
        for node in _walk(_schema(app)["components"]["schemas"]):
            if node.get("format") == "decimal":
                assert not leaked & set(node), node
                assert node["type"] == "string"
                assert "pattern" in node

    def test_positive_amounts_state_exclusive_minimum(self, app: FastAPI) -> None:
        schemas = _schema(app)["components"]["schemas"]
        for name, field in (
            ("QuickPayRequest", "amount"),
            ("CashPayRequest", "amount_given"),
            ("LineInput", "quantity"),
        ):
            prop = _string_branch(schemas[name]["properties"][field])
            assert prop["exclusiveMinimum"] == 0, (name, field)

    def test_bounds_and_places_are_visible(self, app: FastAPI) -> None:
        schemas = _schema(app)["components"]["schemas"]
        rate = schemas["TaxRateCreate"]["properties"]["rate"]
        assert (rate["minimum"], rate["maximum"]) == (0, 100)
        pattern = re.compile(rate["pattern"])
        assert [
            bool(pattern.match(text)) for text in ("16.00", "7.5", "16.00001", "-1", "1000")
        ] == [
            True,
            True,
            False,
            False,
            False,
        ]
        price = re.compile(schemas["ProductCreate"]["properties"]["unit_price"]["pattern"])
        assert [bool(price.match(text)) for text in ("0.012500", "0.0000001")] == [True, False]

    def test_each_kind_has_its_own_example(self, app: FastAPI) -> None:
        schemas = _schema(app)["components"]["schemas"]
        line = schemas["LineInput"]["properties"]
        examples = {
            "quantity": _string_branch(line["quantity"])["examples"],
            "unit_price": _string_branch(line["unit_price"])["examples"],
            "tax_rate": _string_branch(line["tax_rate"])["examples"],
            "total": _string_branch(schemas["InvoiceRead"]["properties"]["total_amount"])[
                "examples"
            ],
        }
        assert len({example[0] for example in examples.values()}) == 4, examples


class TestContract:
    def test_cash_payment_method_is_required(self, app: FastAPI) -> None:
        cash = _schema(app)["components"]["schemas"]["CashPayRequest"]
        assert "payment_method" in cash["required"]
        assert cash["properties"]["payment_method"]["type"] == "string"

    def test_seller_is_a_model_everywhere(self, app: FastAPI) -> None:
        schemas = _schema(app)["components"]["schemas"]
        for name in ("SettingsUpdate", "InvoiceRead"):
            seller = schemas[name]["properties"]["seller"]
            assert {"$ref": "#/components/schemas/Seller"} in seller["anyOf"], name

    def test_download_format_is_the_format_enum_and_files_are_binary(self, app: FastAPI) -> None:
        paths = _schema(app)["paths"]
        for path in (
            "/api/v1/admin/invoices/{invoice_id}/download",
            "/api/v1/billing/invoices/{invoice_id}/download",
        ):
            operation = paths[path]["get"]
            [fmt] = [p for p in operation["parameters"] if p["name"] == "format"]
            assert fmt["schema"]["$ref"] == "#/components/schemas/EInvoiceFormat"
            content = operation["responses"]["200"]["content"]
            assert set(content) == {
                "application/pdf",
                "application/xml",
                "application/octet-stream",
            }
            assert all(
                c["schema"] == {"type": "string", "format": "binary"} for c in content.values()
            )


class TestSecurity:
    def test_bearer_schemes_and_per_operation_security(self, app: FastAPI) -> None:
        schema = _schema(app)
        schemes = schema["components"]["securitySchemes"]
        assert schemes["bearerJwt"]["bearerFormat"] == "JWT"
        assert schemes["bearerApiKey"]["scheme"] == "bearer"
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                security = operation["security"]
                if path.startswith(("/api/v1/admin", "/api/v1/billing/invoices")):
                    assert security == [{"bearerJwt": []}, {"bearerApiKey": []}], (method, path)
        public = schema["paths"]["/api/v1/public/invoices/{public_id}"]["get"]
        assert public["security"] == []
        assert schema["paths"]["/api/v1/webhooks/stripe"]["post"]["security"] == []
        assert schema["paths"]["/api/v1/billing/payment-providers"]["get"]["security"] == []


class TestNames:
    def test_the_ways_to_pay_say_which_they_are(self, app: FastAPI) -> None:
        paths = _schema(app)["paths"]
        assert paths["/api/v1/admin/invoices/{invoice_id}/pay"]["post"]["operationId"] == (
            "invoices_pay_cash"
        )
        assert paths["/api/v1/admin/invoices/{invoice_id}/charge"]["post"]["operationId"] == (
            "invoices_charge_saved_method"
        )
        assert paths["/api/v1/billing/invoices/{invoice_id}/pay"]["post"]["operationId"] == (
            "billing_invoices_pay_with_saved_method"
        )

    def test_envelopes_are_named_after_what_they_carry(self, app: FastAPI) -> None:
        schema = _schema(app)
        names = set(schema["components"]["schemas"])
        assert not {name for name in names if name.startswith(("ApiResponse", "ListResponse"))}
        # Two models with one name become module-qualified names that client generators refuse.
        assert not {name for name in names if "__" in name}
        assert {
            "TenantReadResponse",
            "TenantReadList",
            "OptionalBillingProfileReadResponse",
            "PaymentMethodReadArrayResponse",
        } <= names
        refs = {node["$ref"] for node in _walk(schema) if "$ref" in node}
        assert {ref.removeprefix("#/components/schemas/") for ref in refs} <= names
        profile = schema["paths"]["/api/v1/billing/billing-profile"]["get"]["responses"]["200"]
        assert profile["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/OptionalBillingProfileReadResponse"
        }

    def test_enums_name_their_members(self, app: FastAPI) -> None:
        from billing.auth.principal import Permission
        from billing.core.totals import VatCategory

        schemas = _schema(app)["components"]["schemas"]
        for enum in (Permission, VatCategory):
            body = schemas[enum.__name__]
            assert body["x-enum-varnames"] == [member.name for member in enum]
            assert body["enum"] == [member.value for member in enum]
        for name, body in schemas.items():
            if "enum" in body:
                assert len(body["x-enum-varnames"]) == len(body["enum"]), name

    def test_a_clash_of_envelope_names_is_refused(self) -> None:
        from billing.openapi import rename_generic_schemas

        schema: dict[str, Any] = {
            "components": {
                "schemas": {
                    "ApiResponse_X_": {"title": "XResponse"},
                    "XResponse": {"title": "XResponse"},
                }
            }
        }
        with pytest.raises(RuntimeError, match="XResponse"):
            rename_generic_schemas(schema)
