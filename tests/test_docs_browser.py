"""``/docs`` renders every operation in headless Chromium with no network beyond the server.

The page is served by a real uvicorn on 127.0.0.1; every request the browser makes to any
other address is refused and recorded, so a CDN reference would leave the page blank and fail
the test. Debian's ``chromium`` is used (``.ci/run`` installs it); Playwright drives it and
downloads no browser of its own.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Route, async_playwright

from billing.config import Settings
from billing.core.db import Database
from billing.main import create_app
from billing.openapi import render_openapi

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (`apt-get install chromium`; .ci/run does it)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def docs_server(settings: Settings) -> AsyncIterator[str]:
    """The app on a real port; /docs and /openapi.json need no database connection."""
    assert settings.database_url is not None
    database = Database.connect(settings.database_url, role=settings.app_role, pool_size=1)
    app = create_app(settings, database)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):  # uvicorn has no "started" event to await; 10 s at most
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        await database.dispose()


async def test_docs_render_every_operation_offline(docs_server: str) -> None:
    assert CHROMIUM is not None
    spec = json.loads(render_openapi(create_app(Settings(database_url="postgresql://x/y"))))
    operations = {
        (method.upper(), path, operation.get("security") == [])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    server_host = urlsplit(docs_server).netloc
    refused: list[str] = []

    async def only_this_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == server_host:
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort("internetdisconnected")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            context = await browser.new_context()
            await context.route("**/*", only_this_server)
            page = await context.new_page()
            await page.goto(f"{docs_server}/docs")
            await page.wait_for_selector(".opblock", timeout=30_000)
            rendered = await page.eval_on_selector_all(
                ".opblock",
                """blocks => blocks.map(block => ({
                    method: block.querySelector('.opblock-summary-method')?.textContent,
                    path: block.querySelector('.opblock-summary-path')?.getAttribute('data-path'),
                    locked: block.querySelector('.authorization__btn') !== null,
                }))""",
            )
            authorize = await page.query_selector("button.authorize")
        finally:
            await browser.close()

    assert refused == []
    assert authorize is not None, "no Authorize button: the spec declares no securitySchemes"
    shown = {(item["method"], item["path"], not item["locked"]) for item in rendered}
    assert shown == operations
    assert ("GET", "/healthz", True) in shown
    assert ("GET", "/api/v1/admin/invoices", False) in shown
