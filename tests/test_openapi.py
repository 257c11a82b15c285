"""The committed openapi.json matches the app; operation ids are readable."""

from __future__ import annotations

import json
from pathlib import Path

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
