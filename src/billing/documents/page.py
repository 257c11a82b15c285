"""The public invoice page: accessible HTML built from the invoice's document model, and the
hosted payment page of the invoice (the QR code and ``paymentLinkUrl`` target).

The page works without JavaScript (the invoice, its payments, bank transfer details). Paying
online runs one small inline script, allowed by the response's Content-Security-Policy nonce;
the only third-party script is Stripe.js, and only when card payment is offered. The script
talks to the service's own routes (the page's ``PaymentOptions`` name them) and never decides
that anything is paid: it shows what the service reports.

Mobile first (a single column from 390 px up, wide tables scroll in their own region), text
contrast at least 7:1 on white (buttons 6.7:1), every field labelled, the status written out
(not only coloured) and announced in a live region when it changes. Nothing about the buyer
appears but what the invoice prints. The language is the invoice's (English, French, German,
Kinyarwanda).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from billing.documents.page_text import SCRIPT_MESSAGES, page_text
from billing.documents.ports import PaymentOptions
from billing.documents.repository import PaymentRecord
from billing.invoices.document import method_label
from billing.renderers import DocumentStatus, InvoiceDocument, Party
from billing.renderers.labels import (
    format_money,
    format_price,
    format_quantity,
    format_rate,
    labels_for,
)

STRIPE_JS = "https://js.stripe.com/v3/"
ONLINE_METHODS = ("mpesa", "pesapal", "stripe", "mollie", "cash_on_delivery")

_STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: #ffffff; color: #1b1f24;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.page { max-width: 48rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem;
  border-bottom: 1px solid #d0d7de; padding-bottom: 1rem; }
header img { max-height: 3.5rem; max-width: 12rem; }
.brand { font-size: 1.4rem; font-weight: 700; margin: 0; }
h1 { font-size: 1.5rem; margin: 1.25rem 0 0.25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; }
h3 { font-size: 1.05rem; margin: 0 0 0.5rem; }
.status { display: inline-block; border: 2px solid currentColor; border-radius: 0.25rem;
  padding: 0 0.5rem; font-weight: 700; font-size: 0.9rem; text-transform: uppercase; }
.status-paid { color: #14532d; }
.status-overdue, .status-cancelled, .status-expired { color: #7f1d1d; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem;
  margin: 1rem 0; }
dl.summary dt { color: #4b5563; }
dl.summary dd { margin: 0; overflow-wrap: anywhere; }
.due { font-size: 1.3rem; font-weight: 700; }
a { color: #1d4ed8; }
a:focus-visible, button:focus-visible, input:focus-visible {
  outline: 3px solid #1d4ed8; outline-offset: 2px; }
.button, button { display: inline-block; margin-top: 0.5rem; padding: 0.65rem 1rem;
  min-height: 2.75rem; background: #1d4ed8; color: #ffffff; border: 0; border-radius: 0.25rem;
  text-decoration: none; font: inherit; font-weight: 600; cursor: pointer; }
button[disabled] { background: #4b5563; cursor: progress; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; margin: 0.5rem 0; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.25rem; }
th, td { padding: 0.4rem 0.5rem; border-bottom: 1px solid #d0d7de; text-align: left;
  vertical-align: top; }
thead th { border-bottom: 2px solid #1b1f24; }
.num { text-align: right; white-space: nowrap; }
.muted { color: #4b5563; font-size: 0.9rem; }
tfoot th { text-align: right; font-weight: 400; }
tfoot tr.total th, tfoot tr.total td { font-weight: 700; border-top: 2px solid #1b1f24; }
.methods { display: grid; gap: 1rem; }
.method { border: 1px solid #d0d7de; border-radius: 0.5rem; padding: 1rem; }
.method form { display: grid; gap: 0.25rem; }
.method label { font-weight: 600; }
.method input { font: inherit; padding: 0.55rem 0.6rem; min-height: 2.75rem; width: 100%;
  border: 1px solid #4b5563; border-radius: 0.25rem; color: #1b1f24; background: #ffffff; }
.method button { width: 100%; }
#card-element { margin: 0.5rem 0; }
.notice { border-left: 4px solid #1d4ed8; background: #eff6ff; padding: 0.75rem 1rem;
  margin: 1rem 0; font-weight: 600; }
.notice-success { border-color: #14532d; background: #f0fdf4; color: #14532d; }
.notice-error { border-color: #7f1d1d; background: #fef2f2; color: #7f1d1d; }
footer { margin-top: 3rem; border-top: 1px solid #d0d7de; padding-top: 1rem; }
@media (max-width: 30rem) {
  table { font-size: 0.8rem; }
  th, td { padding: 0.35rem 0.15rem; }
}
@media (min-width: 40rem) {
  .page { padding: 1.5rem 1.5rem 3rem; }
  h1 { font-size: 1.6rem; }
  .methods { grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); }
  .method button { width: auto; justify-self: start; }
}
"""

# The payment script: starts a payment through the service's routes, then polls the page's
# status route until the attempt settles; updates the status, the amount due and a live region.
_SCRIPT = """
(() => {
  "use strict";
  const config = JSON.parse(document.getElementById("pay-config").textContent);
  const t = config.messages;
  const live = document.getElementById("pay-status");
  const methods = document.getElementById("pay-methods");
  const FINAL = {succeeded: "msg_paid", failed: "msg_failed", cancelled: "msg_cancelled",
    expired: "msg_attempt_expired"};
  let timer = null;

  function say(text, kind) {
    live.textContent = text || "";
    live.className = "notice" + (kind ? " notice-" + kind : "");
    live.hidden = !text;
  }
  function busy(on) {
    if (!methods) return;
    for (const el of methods.querySelectorAll("button, input")) el.disabled = on;
    methods.setAttribute("aria-busy", on ? "true" : "false");
  }
  function failure(code) {
    if (code === "payment_link_expired") return t.msg_link_expired;
    if (code === "invalid_phone_number") return t.msg_phone_invalid;
    return t.msg_error;
  }
  async function call(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(body || {}),
      credentials: "omit",
    });
    let data = null;
    try { data = await response.json(); } catch (ignored) { data = null; }
    if (!response.ok) {
      const code = data && data.error ? data.error.code : "";
      if (code === "payment_link_expired") expired();
      throw new Error(failure(code));
    }
    return data.data;
  }
  function expired() {
    const badge = document.getElementById("invoice-status");
    if (badge) {
      badge.textContent = config.expired_label;
      badge.className = "status status-expired";
    }
    if (methods) methods.hidden = true;
  }
  function show(state) {
    const badge = document.getElementById("invoice-status");
    if (badge) {
      badge.textContent = state.status_label;
      badge.className = "status status-" + state.status;
    }
    const due = document.getElementById("amount-due");
    if (due) due.textContent = state.amount_due_display;
    if (state.paid && methods) methods.hidden = true;
  }
  async function refreshHistory() {
    // The payment just recorded belongs in the history below: read it from a fresh copy of
    // this page and swap that section in place (the page itself is never reloaded).
    try {
      const response = await fetch(window.location.href,
        {headers: {"Accept": "text/html"}, credentials: "omit"});
      if (!response.ok) return;
      // Only that section is parsed (in an inert template): the fresh copy's own style and
      // script carry another nonce and must not be parsed here.
      const html = await response.text();
      const open = '<section aria-labelledby="payments-heading">';
      const start = html.indexOf(open);
      const end = html.indexOf("</section>", start);
      if (start < 0 || end < 0) return;
      const template = document.createElement("template");
      template.innerHTML = html.slice(start, end + "</section>".length);
      const current = document.querySelector('section[aria-labelledby="payments-heading"]');
      const update = template.content.firstElementChild;
      if (current && update) current.replaceWith(update);
    } catch (ignored) { /* the history shows on the next visit */ }
  }
  function watch(reference) {
    if (timer) clearTimeout(timer);
    let tries = 0;
    const tick = async () => {
      tries += 1;
      try {
        const url = config.status_url + "?attempt=" + encodeURIComponent(reference);
        const response = await fetch(url, {headers: {"Accept": "application/json"},
          credentials: "omit"});
        if (response.ok) {
          const state = (await response.json()).data;
          show(state);
          if (state.paid) { say(t.msg_paid, "success"); refreshHistory(); return; }
          const attempt = state.attempt;
          if (attempt && FINAL[attempt.status]) {
            say(t[FINAL[attempt.status]], attempt.status === "succeeded" ? "success" : "error");
            if (attempt.status === "succeeded") refreshHistory();
            busy(false);
            return;
          }
        }
      } catch (ignored) { /* a network hiccup: ask again */ }
      if (tries < 150) timer = setTimeout(tick, tries < 15 ? 2000 : 5000);
    };
    timer = setTimeout(tick, 1000);
  }
  function form(id, handler) {
    const element = document.getElementById(id);
    if (!element) return;
    element.addEventListener("submit", async (event) => {
      event.preventDefault();
      busy(true);
      try { await handler(element); } catch (error) { say(error.message, "error"); busy(false); }
    });
  }

  form("form-mpesa", async (element) => {
    say(t.msg_sending, "");
    const phone = element.elements.phone_number.value.trim();
    const started = await call(config.endpoints.mpesa,
      {public_id: config.public_id, phone_number: phone});
    say(t.msg_mpesa_sent, "");
    watch(started.reference);
  });
  form("form-pesapal", async (element) => {
    say(t.msg_sending, "");
    const email = element.elements.email.value.trim();
    const started = await call(config.endpoints.pesapal, email ? {email: email} : {});
    say(t.msg_redirecting, "");
    window.location.assign(started.redirect_url);
  });
  form("form-mollie", async () => {
    say(t.msg_sending, "");
    const started = await call(config.endpoints.mollie, {});
    say(t.msg_redirecting, "");
    window.location.assign(started.checkout_url);
  });
  form("form-cash_on_delivery", async () => {
    const created = await call(config.endpoints.cash_on_delivery, {public_id: config.public_id});
    say(t.msg_cod_code.replace("{code}", created.verification_code) + " " +
      created.instructions, "success");
    if (methods) methods.hidden = true;
  });
  let card = null;
  form("form-stripe", async (element) => {
    if (!window.Stripe || !config.stripe_key) throw new Error(t.msg_card_unavailable);
    if (card === null) {
      say(t.msg_sending, "");
      const started = await call(config.endpoints.stripe, {});
      const stripe = window.Stripe(config.stripe_key);
      const elements = stripe.elements({clientSecret: started.client_secret});
      elements.create("payment").mount("#card-element");
      card = {stripe: stripe, elements: elements, started: started};
      element.querySelector("button").textContent = config.card_confirm;
      say("", "");
      busy(false);
      return;
    }
    const result = await card.stripe.confirmPayment({elements: card.elements,
      confirmParams: {return_url: card.started.return_url}, redirect: "if_required"});
    if (result.error) throw new Error(result.error.message || t.msg_failed);
    say(t.msg_waiting, "");
    watch(card.started.reference);
  });

  const attempt = config.attempt;
  if (attempt && !FINAL[attempt.status]) {
    // Back from a provider, the payment not settled yet: follow it (the page already says
    // how a finished one ended).
    say(t.msg_waiting, "");
    busy(true);
    watch(attempt.reference);
  }
})();
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _lines(values: Iterable[str | None]) -> str:
    return "<br>".join(_e(value) for value in values if value)


def _definitions(rows: Sequence[tuple[str, str]], css_class: str = "summary") -> str:
    items = "".join(f"<dt>{_e(term)}</dt><dd>{value}</dd>" for term, value in rows)
    return f'<dl class="{css_class}">{items}</dl>'


def _logo(document: InvoiceDocument, brand: str) -> str:
    url = document.seller_logo_url
    if not url or not url.lower().startswith(("https://", "http://")):
        return ""
    return (
        f'<img src="{_e(url)}" alt="{_e(brand)} logo" referrerpolicy="no-referrer" '
        'decoding="async">'
    )


def _party_lines(party: Party, *, outside_scope: bool, vat_label: str) -> list[str]:
    lines = [party.name or "", *party.address.lines()]
    # BR-O-02: an invoice not subject to VAT shows no VAT identifier, like its XML and PDF.
    if party.vat_id and not outside_scope:
        lines.append(f"{vat_label}: {party.vat_id}")
    if party.contact and party.contact.email:
        lines.append(party.contact.email)
    return [line for line in lines if line]


def _line_rows(document: InvoiceDocument) -> str:
    currency, language = document.currency, document.language
    rows = []
    for line in document.lines:
        detail = (
            f'<br><span class="muted">{_e(line.description)}</span>' if line.description else ""
        )
        rows.append(
            "<tr>"
            f'<th scope="row">{_e(line.name or "")}{detail}</th>'
            f'<td class="num">{_e(format_quantity(line.quantity, line.unit_code, language))}</td>'
            f'<td class="num">{_e(format_price(line.unit_price, currency, language))}</td>'
            f'<td class="num">{_e(format_rate(line.vat_rate, language))}</td>'
            f'<td class="num">{_e(format_money(line.net_amount, currency, language))}</td>'
            "</tr>"
        )
    return "".join(rows)


def _totals_rows(document: InvoiceDocument, labels: dict[str, str]) -> str:
    totals, currency, language = document.totals, document.currency, document.language
    rows: list[tuple[str, Decimal]] = [(labels["subtotal"], totals.line_total)]
    if totals.allowance_total:
        rows.append((labels["discount"], -totals.allowance_total))
    if totals.charge_total:
        rows.append((labels["charge"], totals.charge_total))
    rows.append((labels["vat_total"], totals.tax_total))
    cells = [
        f'<th scope="row" colspan="4">{_e(label)}</th>'
        f'<td class="num">{_e(format_money(amount, currency, language))}</td>'
        for label, amount in rows
    ]
    total = format_money(totals.tax_inclusive, currency, language)
    return "".join(f"<tr>{cell}</tr>" for cell in cells) + (
        f'<tr class="total"><th scope="row" colspan="4">{_e(labels["total"])}</th>'
        f'<td class="num">{_e(total)}</td></tr>'
    )


def _payments(
    document: InvoiceDocument,
    payments: Sequence[PaymentRecord],
    timezone: ZoneInfo,
    text: dict[str, str],
    labels: dict[str, str],
) -> str:
    if not payments:
        return f"<p>{_e(text['no_payments'])}</p>"
    currency, language = document.currency, document.language
    rows = []
    for payment in payments:
        paid_at = payment.paid_at.astimezone(timezone)
        rows.append(
            "<tr>"
            f'<td><time datetime="{_e(paid_at.isoformat())}">{_e(paid_at.date())}</time></td>'
            f"<td>{_e(method_label(payment.method, language))}</td>"
            f'<td class="num">{_e(format_money(payment.amount, currency, language))}</td>'
            "</tr>"
        )
    return (
        f'<div class="table-wrap"><table><caption>{_e(text["payments_received"])}</caption>'
        f'<thead><tr><th scope="col">{_e(text["date"])}</th>'
        f'<th scope="col">{_e(text["method"])}</th>'
        f'<th scope="col" class="num">{_e(labels["col_amount"])}</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _when(moment: datetime, timezone: ZoneInfo) -> str:
    local = moment.astimezone(timezone)
    return f"{local:%Y-%m-%d %H:%M} ({timezone.key})"


def _bank_details(document: InvoiceDocument, text: dict[str, str], labels: dict[str, str]) -> str:
    payment = document.payment
    if payment is None:
        return ""
    rows = []
    for label, value in (
        (labels["account_name"], payment.account_name),
        (labels["iban"], payment.iban),
        (labels["bic"], payment.bic),
        (labels["bank"], payment.bank_name),
        (labels["reference"], payment.remittance_information or document.number),
    ):
        if value:
            rows.append((label, _e(value)))
    return f"<h3>{_e(text['bank_transfer'])}</h3>" + _definitions(rows)


def _method_forms(document: InvoiceDocument, options: PaymentOptions, text: dict[str, str]) -> str:
    due = format_money(document.balance, document.currency, document.language)
    forms = []
    for method in options.methods:
        if method == "mpesa":
            body = (
                f'<label for="mpesa-phone">{_e(text["mpesa_phone"])}</label>'
                '<input id="mpesa-phone" name="phone_number" type="tel" inputmode="tel" '
                'autocomplete="tel" required minlength="9" maxlength="20" '
                'aria-describedby="mpesa-hint">'
                f'<p id="mpesa-hint" class="muted">{_e(text["mpesa_hint"])}</p>'
                f'<button type="submit">{_e(text["mpesa_button"].format(amount=due))}</button>'
            )
            heading = text["mpesa_heading"]
        elif method == "pesapal":
            body = (
                f'<label for="pesapal-email">{_e(text["pesapal_email"])}</label>'
                '<input id="pesapal-email" name="email" type="email" autocomplete="email" '
                'maxlength="320" aria-describedby="pesapal-hint">'
                f'<p id="pesapal-hint" class="muted">{_e(text["pesapal_hint"])}</p>'
                f'<button type="submit">{_e(text["pesapal_button"])}</button>'
            )
            heading = text["pesapal_heading"]
        elif method == "stripe":
            body = (
                '<div id="card-element"></div>'
                f'<button type="submit">{_e(text["card_button"].format(amount=due))}</button>'
            )
            heading = text["card_heading"]
        elif method == "mollie":
            body = (
                f'<p class="muted">{_e(text["mollie_hint"])}</p>'
                f'<button type="submit">{_e(text["mollie_button"])}</button>'
            )
            heading = text["mollie_heading"]
        elif method == "cash_on_delivery":
            body = (
                f'<p class="muted">{_e(text["cod_hint"])}</p>'
                f'<button type="submit">{_e(text["cod_button"])}</button>'
            )
            heading = text["cod_heading"]
        else:
            continue
        forms.append(
            f'<section class="method" aria-labelledby="{method}-heading">'
            f'<h3 id="{method}-heading">{_e(heading)}</h3>'
            f'<form id="form-{method}" data-method="{method}">{body}</form></section>'
        )
    return "".join(forms)


_ATTEMPT_MESSAGES = {
    "succeeded": ("msg_paid", "success"),
    "failed": ("msg_failed", "error"),
    "cancelled": ("msg_cancelled", "error"),
    "expired": ("msg_attempt_expired", "error"),
}


def _live_region(options: PaymentOptions, text: dict[str, str]) -> str:
    """The status line the script updates; it already tells how a finished attempt ended."""
    attempt = options.attempt
    if attempt is not None and attempt.status in _ATTEMPT_MESSAGES:
        key, kind = _ATTEMPT_MESSAGES[attempt.status]
        return (
            f'<p id="pay-status" class="notice notice-{kind}" role="status" aria-live="polite">'
            f"{_e(text[key])}</p>"
        )
    return '<p id="pay-status" class="notice" role="status" aria-live="polite" hidden></p>'


def _how_to_pay(
    document: InvoiceDocument,
    options: PaymentOptions | None,
    timezone: ZoneInfo,
    text: dict[str, str],
    labels: dict[str, str],
) -> str:
    if document.status is DocumentStatus.CANCELLED:
        return f"<p>{_e(text['cancelled_nothing_due'])}</p>"
    if document.balance <= 0:
        paid = f"<p>{_e(text['paid_nothing_due'])}</p>"
        return (_live_region(options, text) if options is not None else "") + paid
    if options is not None and options.expired:
        when = _when(options.expires_at, timezone) if options.expires_at else ""
        return f'<p class="notice notice-error">{_e(text["link_expired"].format(when=when))}</p>'
    parts = []
    if options is not None:
        if options.expires_at is not None:
            when = _when(options.expires_at, timezone)
            parts.append(f'<p class="muted">{_e(text["pay_before"].format(when=when))}</p>')
        forms = _method_forms(document, options, text)
        parts.append(_live_region(options, text))
        if forms:
            parts.append(
                f"<noscript><p>{_e(text['noscript'])}</p></noscript>"
                f'<div id="pay-methods" class="methods">{forms}</div>'
            )
    if options is None or "bank" in options.methods:
        parts.append(_bank_details(document, text, labels))
    online = options is not None and any(m in ONLINE_METHODS for m in options.methods)
    if document.payment_methods and not online:
        items = "".join(f"<li>{_e(method)}</li>" for method in document.payment_methods)
        parts.append(f"<h3>{_e(text['accepted_methods'])}</h3><ul>{items}</ul>")
    if document.payment_terms:
        terms = text["payment_terms_line"].format(terms=document.payment_terms)
        parts.append(f"<p>{_e(terms)}</p>")
    return "".join(parts) or f"<p>{_e(text['contact_to_pay'])}</p>"


def _script(
    document: InvoiceDocument,
    options: PaymentOptions,
    *,
    public_id: str,
    nonce: str,
    text: dict[str, str],
) -> str:
    attempt = options.attempt
    config = {
        "public_id": public_id,
        "endpoints": dict(options.endpoints),
        "status_url": options.status_url,
        "stripe_key": options.stripe_publishable_key,
        "card_confirm": text["card_confirm"],
        "expired_label": text["status_expired"],
        "attempt": {"reference": attempt.reference, "status": attempt.status}
        if attempt is not None
        else None,
        "messages": {key: text[key] for key in SCRIPT_MESSAGES},
    }
    # "<" escaped: the JSON cannot close its element, whatever a string holds.
    data = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    stripe = (
        f'<script src="{STRIPE_JS}" nonce="{_e(nonce)}"></script>'
        if "stripe" in options.methods
        else ""
    )
    return (
        f'<script type="application/json" id="pay-config">{data}</script>{stripe}'
        f'<script nonce="{_e(nonce)}">{_SCRIPT}</script>'
    )


def payment_script_needed(document: InvoiceDocument, options: PaymentOptions | None) -> bool:
    """True when the page offers a payment the script drives (its CSP must allow it)."""
    return (
        options is not None
        and not options.expired
        and document.status is not DocumentStatus.CANCELLED
        and document.balance > 0
        and (
            any(method in ONLINE_METHODS for method in options.methods)
            or options.attempt is not None
        )
    )


def render_public_page(
    document: InvoiceDocument,
    *,
    payments: Sequence[PaymentRecord],
    pdf_path: str,
    timezone: ZoneInfo,
    options: PaymentOptions | None = None,
    public_id: str = "",
    nonce: str = "",
) -> str:
    """The HTML page of an issued invoice, with its payment forms.

    Args:
        document: the invoice's document model (the same one the PDF is rendered from).
        payments: the payments applied to the invoice, oldest first.
        pdf_path: the link to the public PDF.
        timezone: the operator's time zone, in which dates and times are shown.
        options: how the invoice can be paid now (``None``: no online payment).
        public_id: the page's capability, which the payment script sends back.
        nonce: the Content-Security-Policy nonce of this response's scripts and style.
    """
    language = document.language
    text = page_text(language)
    labels = labels_for(language)
    seller = document.seller
    seller_lines = _party_lines(
        seller, outside_scope=document.is_outside_scope, vat_label=labels["vat_id"]
    )
    brand = seller.display_name or text["invoice_title"].format(number="").strip()
    currency = document.currency
    status = document.status.value
    if (
        options is not None
        and options.expired
        and document.balance > 0
        and document.status is not DocumentStatus.CANCELLED
    ):
        status, status_label = "expired", text["status_expired"]
    else:
        status_label = text.get(f"status_{status}", status.capitalize())
    summary = [
        (
            labels["status"],
            f'<span id="invoice-status" class="status status-{_e(status)}">'
            f"{_e(status_label)}</span>",
        ),
        (
            labels["issue_date"],
            f'<time datetime="{document.issue_date}">{document.issue_date}</time>',
        ),
    ]
    if document.due_date:
        summary.append(
            (labels["due_date"], f'<time datetime="{document.due_date}">{document.due_date}</time>')
        )
    summary.append((labels["total"], _e(format_money(document.totals.payable, currency, language))))
    if document.amount_credited:
        credited = format_money(document.amount_credited, currency, language)
        summary.append((labels["amount_credited"], _e(credited)))
    if document.amount_paid:
        summary.append(
            (labels["amount_paid"], _e(format_money(document.amount_paid, currency, language)))
        )
    due = _e(format_money(document.balance, currency, language))
    summary.append((labels["amount_due"], f'<span id="amount-due" class="due">{due}</span>'))
    title = text["invoice_title"].format(number=document.number)
    script = (
        _script(document, options, public_id=public_id, nonce=nonce, text=text)
        if options is not None and payment_script_needed(document, options)
        else ""
    )
    style_nonce = f' nonce="{_e(nonce)}"' if nonce else ""
    return f"""<!DOCTYPE html>
<html lang="{_e(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{_e(title)} | {_e(brand)}</title>
<style{style_nonce}>{_STYLE}</style>
</head>
<body>
<div class="page">
<header>{_logo(document, brand)}<p class="brand">{_e(brand)}</p></header>
<main>
<h1>{_e(title)}</h1>
{_definitions(summary)}
<p><a class="button" href="{_e(pdf_path)}">{_e(text["download_pdf"])}</a></p>
<section aria-labelledby="pay-heading">
<h2 id="pay-heading">{_e(labels["how_to_pay"])}</h2>
{_how_to_pay(document, options, timezone, text, labels)}
</section>
<section aria-labelledby="items-heading">
<h2 id="items-heading">{_e(text["items"])}</h2>
<div class="table-wrap" role="region" aria-labelledby="items-heading" tabindex="0">
<table>
<caption>{_e(text["items_caption"].format(number=document.number, currency=currency))}</caption>
<thead><tr><th scope="col">{_e(labels["col_item"])}</th>
<th scope="col" class="num">{_e(labels["col_quantity"])}</th>
<th scope="col" class="num">{_e(labels["col_unit_price"])}</th>
<th scope="col" class="num">{_e(labels["col_vat"])}</th>
<th scope="col" class="num">{_e(labels["col_amount"])}</th></tr></thead>
<tbody>{_line_rows(document)}</tbody>
<tfoot>{_totals_rows(document, labels)}</tfoot>
</table>
</div>
</section>
<section aria-labelledby="payments-heading">
<h2 id="payments-heading">{_e(text["payment_history"])}</h2>
{_payments(document, payments, timezone, text, labels)}
</section>
</main>
<footer><p class="muted">{_lines(seller_lines)}</p></footer>
</div>
{script}
</body>
</html>
"""
