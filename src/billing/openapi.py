"""OpenAPI generation: stable operation ids and the checked-in ``openapi.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute


def operation_id(route: APIRoute) -> str:
    """The route's name (``tenants_list``) is its operation id: short, stable, readable."""
    return route.name


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
