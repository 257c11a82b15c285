"""The API explorer at ``/docs``, served with its assets from the installed package.

FastAPI's default page loads Swagger UI from a CDN, so ``/docs`` is blank without internet
access (a laptop on a train, an air-gapped deployment). The ``swagger-ui-bundle-v2`` package
ships the Swagger UI 5 distribution files (Apache-2.0, its licence is in the package's
metadata); they are served under ``/docs/assets``. Swagger UI 5 is needed for OpenAPI 3.1.
ReDoc has no packaged build, so ``/redoc`` is not offered.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"

# Only what the page loads: the bundle, the stylesheet and the icon.
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (Swagger UI) and its assets without any request to another site."""
    assets = Path(str(swagger_ui_path))
    missing = [name for name in ASSET_FILES if not (assets / name).is_file()]
    if missing:
        raise RuntimeError(f"Swagger UI assets missing from {assets}: {', '.join(missing)}")
    app.mount(ASSETS_PATH, StaticFiles(directory=assets), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        """The interactive API explorer; Authorize takes a JWT or a ``bk_`` API key."""
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API explorer",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": True, "displayOperationId": True},
        )
