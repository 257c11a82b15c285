"""The payment page in a real headless Chromium (Debian's ``chromium`` driven by Playwright,
no browser download): at 390 px and 1280 px, paying with M-Pesa against the fake Daraja (the
page turns to paid without a reload), with Pesapal through the fake's page and back, refused
once the link expired, and in French. Every request to another host than the app and the fake
Pesapal page is refused and recorded, so a CDN dependency would fail the test.

Screenshots of each state are written to ``test-artifacts/payment-page/`` (git-ignored).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Route,
    ViewportSize,
    async_playwright,
    expect,
)

from billing.config import Settings
from tests.fixtures.auth import Tokens
from tests.fixtures.factories import Factory

from .conftest import API, Merchant, create_account, create_key, create_product, unique
from .live import PayStack, pay_stack

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "payment-page"
MOBILE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (`apt-get install chromium`; .ci/run does it)",
)

CONTRAST = """
(selector) => {
  const parse = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((v) => {
      v = v / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const background = (element) => {
    while (element) {
      const color = getComputedStyle(element).backgroundColor;
      if (color && !color.startsWith("rgba(0, 0, 0, 0)") && color !== "transparent") {
        return parse(color);
      }
      element = element.parentElement;
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll(selector)].map((element) => {
    const fg = luminance(parse(getComputedStyle(element).color));
    const bg = luminance(background(element));
    return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  });
}
"""


@pytest.fixture(scope="module")
def stack(database_url: str, settings: Settings) -> Iterator[PayStack]:
    with pay_stack(database_url, settings) as running:
        yield running


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM is not None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        await launched.close()


class Session:
    """A browser context that may reach only the app and the fake Pesapal page."""

    def __init__(self, context: BrowserContext, stack: PayStack) -> None:
        self.context = context
        self.allowed = {urlsplit(stack.app_url).netloc, urlsplit(stack.pesapal.base_url).netloc}
        self.refused: list[str] = []
        self.problems: list[str] = []

    async def start(self) -> Page:
        await self.context.route("**/*", self._only_allowed)
        page = await self.context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.problems.append(f"console: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        return page

    async def _only_allowed(self, route: Route) -> None:
        if urlsplit(route.request.url).netloc in self.allowed:
            await route.continue_()
        else:
            self.refused.append(route.request.url)
            await route.abort("internetdisconnected")


@pytest.fixture
async def operator(client: httpx.AsyncClient, tokens: Tokens) -> Merchant:
    return await create_key(
        client, tokens, tenant_id=None, scopes=["invoices:read", "invoices:write"]
    )


async def payment_link(stack: PayStack, factory: Factory, merchant: Merchant, **fields: Any) -> Any:
    """A KES payment-link invoice (M-Pesa, Pesapal, cash on delivery), made on the served app."""
    tenant = await factory.create_tenant(
        default_currency="KES", country_code="KE", email="payer@tenant.example"
    )
    product = await create_product(factory, name="Fibre internet, November", unit_price="2500")
    account = await create_account(
        factory, accepted_methods=["mpesa", "pesapal", "cash_on_delivery", "bank"]
    )
    body = {
        "transactionId": unique("TX"),
        "paymentItems": [{"code": product["code"], "quantity": 1, "unitAmount": 2500}],
        "paymentAccountIdentifier": account["identifier"],
        "tenantId": tenant["id"],
        "description": "Fibre internet for November",
        **fields,
    }
    async with stack.client() as http:
        response = await http.post(API, json=body, headers=merchant.headers(alias=True))
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_layout_at_390_and_1280_px(
    browser: Browser, stack: PayStack, factory: Factory, operator: Merchant
) -> None:
    data = await payment_link(stack, factory, operator)
    for size, name in ((MOBILE, "01-open-390px"), (DESKTOP, "02-open-1280px")):
        session = Session(await browser.new_context(viewport=size), stack)
        page = await session.start()
        response = await page.goto(data["paymentLinkUrl"])
        assert response is not None
        assert response.status == 200
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Invoice {data['invoiceNumber']}"
        )
        phone = page.get_by_label("M-Pesa phone number")
        await expect(phone).to_be_visible()
        await expect(page.get_by_label("E-mail for the receipt")).to_be_visible()
        await expect(page.get_by_role("button", name="Pay cash on delivery")).to_be_visible()
        # One column that fits the screen: nothing scrolls sideways but the items table.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], width
        table = await page.evaluate(
            "(() => { const w = document.querySelector('.table-wrap');"
            " return [w.scrollWidth, w.clientWidth]; })()"
        )
        assert table[0] <= table[1], table
        # Keyboard: the phone field and its button are reached with Tab alone.
        focused = []
        for _ in range(12):
            await page.keyboard.press("Tab")
            focused.append(
                await page.evaluate(
                    "document.activeElement.id || document.activeElement.textContent"
                )
            )
            if focused[-1] == "mpesa-phone":
                break
        assert "mpesa-phone" in focused, focused
        # WCAG contrast: body text and buttons.
        for selector, minimum in (("p, dt, dd, th, td, label", 4.5), ("button, .button", 4.5)):
            ratios = await page.evaluate(CONTRAST, selector)
            assert ratios, selector
            assert min(ratios) >= minimum, (selector, min(ratios))
        await shot(page, name)
        assert session.refused == []
        assert session.problems == []
        await session.context.close()


async def test_mpesa_turns_the_page_paid_without_a_reload(
    browser: Browser, stack: PayStack, factory: Factory, operator: Merchant
) -> None:
    data = await payment_link(stack, factory, operator)
    session = Session(await browser.new_context(viewport=MOBILE), stack)
    page = await session.start()
    await page.goto(data["paymentLinkUrl"])
    await page.evaluate("window.__sameDocument = true")
    await page.get_by_label("M-Pesa phone number").fill("0708374149")
    await page.get_by_role("button", name="with M-Pesa").click()
    status = page.locator("#pay-status")
    await expect(status).to_contain_text("Check your phone", timeout=10_000)
    await shot(page, "03-mpesa-waiting-390px")
    await expect(status).to_have_text("Payment received. Thank you!", timeout=25_000)
    await expect(page.locator("#invoice-status")).to_have_text("Paid")
    await expect(page.locator("#amount-due")).to_have_text("KSh\u00a00.00")
    await expect(page.locator("#pay-methods")).to_be_hidden()
    # The payment history lists the payment, read again without reloading the page.
    history = page.locator('section[aria-labelledby="payments-heading"]')
    await expect(history).to_contain_text("M-Pesa", timeout=10_000)
    await expect(history).to_contain_text("2,900.00")
    assert await page.evaluate("window.__sameDocument") is True  # never reloaded
    await shot(page, "04-mpesa-paid-390px")
    async with stack.client() as http:
        seed = await http.get(f"{API}/{data['invoiceNumber']}", headers=operator.headers())
    assert seed.json()["data"]["paymentStatus"] == "PAID"
    assert session.refused == []
    assert session.problems == []
    await session.context.close()


async def test_pesapal_through_the_fake_page_and_back(
    browser: Browser, stack: PayStack, factory: Factory, operator: Merchant
) -> None:
    data = await payment_link(stack, factory, operator)
    session = Session(await browser.new_context(viewport=DESKTOP), stack)
    page = await session.start()
    await page.goto(data["paymentLinkUrl"])
    await page.get_by_label("E-mail for the receipt").fill("payer@example.com")
    await page.get_by_role("button", name="Continue to Pesapal").click()
    await page.wait_for_url(f"{stack.pesapal.base_url}/**")
    await shot(page, "05-pesapal-fake-page-1280px")
    await page.get_by_role("link", name="completed").click()
    await page.wait_for_url(f"{stack.app_url}/api/v1/public/invoices/**")
    await expect(page.locator("#invoice-status")).to_have_text("Paid", timeout=20_000)
    await expect(page.locator("#pay-status")).to_have_text("Payment received. Thank you!")
    assert "attempt=TXN-" in page.url
    await shot(page, "06-pesapal-returned-paid-1280px")
    assert session.refused == []
    assert session.problems == []
    await session.context.close()


async def test_an_expired_link_refuses(
    browser: Browser, stack: PayStack, factory: Factory, operator: Merchant
) -> None:
    expiry = datetime.now(UTC) + timedelta(seconds=3)
    data = await payment_link(stack, factory, operator, expiryAt=expiry.isoformat())
    session = Session(await browser.new_context(viewport=MOBILE), stack)
    page = await session.start()
    await page.goto(data["paymentLinkUrl"])
    await expect(page.get_by_text("This payment link is valid until")).to_be_visible()
    await asyncio.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 0.5)
    # The form was loaded before the expiry; the service refuses the push now.
    await page.get_by_label("M-Pesa phone number").fill("0708374149")
    await page.get_by_role("button", name="with M-Pesa").click()
    await expect(page.locator("#pay-status")).to_have_text(
        "This payment link has expired; it can no longer be paid online."
    )
    await expect(page.locator("#invoice-status")).to_have_text("Expired")
    await expect(page.locator("#pay-methods")).to_be_hidden()
    await shot(page, "07-expired-refused-390px")
    await page.reload()
    await expect(page.locator("#invoice-status")).to_have_text("Expired")
    await expect(page.get_by_text("This payment link expired on")).to_be_visible()
    assert await page.locator("form").count() == 0
    await shot(page, "08-expired-reloaded-390px")
    async with stack.client() as http:
        seed = await http.get(f"{API}/{data['invoiceNumber']}", headers=operator.headers())
    assert seed.json()["data"]["expired"] is True
    assert seed.json()["data"]["paymentStatus"] == "NEW"
    assert session.refused == []
    await session.context.close()


async def test_the_page_in_french(
    browser: Browser, stack: PayStack, factory: Factory, operator: Merchant
) -> None:
    data = await payment_link(stack, factory, operator, language="FR")
    session = Session(await browser.new_context(viewport=MOBILE), stack)
    page = await session.start()
    await page.goto(data["paymentLinkUrl"])
    assert await page.get_attribute("html", "lang") == "fr"
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Facture {data['invoiceNumber']}"
    )
    await expect(page.get_by_role("heading", name="Comment payer")).to_be_visible()
    await expect(page.locator("#invoice-status")).to_have_text("Émise")
    await expect(page.get_by_role("link", name="Télécharger le PDF")).to_be_visible()
    await expect(page.locator("#amount-due")).to_have_text("KSh\u00a02\u202f900,00")
    await shot(page, "09-french-390px")
    await page.get_by_label("Numéro de téléphone M-Pesa").fill("0708374149")
    await page.get_by_role("button", name="avec M-Pesa").click()
    await expect(page.locator("#pay-status")).to_have_text("Paiement reçu. Merci !", timeout=25_000)
    await expect(page.locator("#invoice-status")).to_have_text("Payée")
    await shot(page, "10-french-paid-390px")
    assert session.refused == []
    assert session.problems == []
    await session.context.close()
