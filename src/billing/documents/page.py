"""The public invoice page: plain, accessible HTML built from the invoice's document model.

No JavaScript and no external resources besides the operator's logo (loaded without a
referrer, so the page's capability URL does not leak to the logo's host). Text contrast is
at least 7:1 against the white background; the status is written out, not only coloured.
Only what the page prints is read from the document: nothing about the buyer appears.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from billing.documents.repository import PaymentRecord
from billing.invoices.document import method_label
from billing.renderers import DocumentStatus, InvoiceDocument, Party
from billing.renderers.labels import (
    MEANS_NAMES,
    format_money,
    format_price,
    format_quantity,
    format_rate,
)

_STYLE = """
:root { color-scheme: light; }
body { margin: 0; background: #ffffff; color: #1b1f24;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.page { max-width: 48rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
header { display: flex; align-items: center; gap: 1rem; border-bottom: 1px solid #d0d7de;
  padding-bottom: 1rem; }
header img { max-height: 3.5rem; max-width: 12rem; }
.brand { font-size: 1.4rem; font-weight: 700; margin: 0; }
h1 { font-size: 1.6rem; margin: 1.5rem 0 0.25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; }
.status { display: inline-block; border: 2px solid currentColor; border-radius: 0.25rem;
  padding: 0 0.5rem; font-weight: 700; font-size: 0.9rem; text-transform: uppercase; }
.status-paid { color: #14532d; }
.status-overdue, .status-cancelled { color: #7f1d1d; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1.5rem;
  margin: 1rem 0; }
dl.summary dt { color: #4b5563; }
dl.summary dd { margin: 0; }
.due { font-size: 1.3rem; font-weight: 700; }
a { color: #1d4ed8; }
a:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
.button { display: inline-block; margin-top: 0.5rem; padding: 0.5rem 1rem; background: #1d4ed8;
  color: #ffffff; border-radius: 0.25rem; text-decoration: none; font-weight: 600; }
table { width: 100%; border-collapse: collapse; margin: 0.5rem 0; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.25rem; }
th, td { padding: 0.4rem 0.5rem; border-bottom: 1px solid #d0d7de; text-align: left;
  vertical-align: top; }
thead th { border-bottom: 2px solid #1b1f24; }
.num { text-align: right; white-space: nowrap; }
.muted { color: #4b5563; font-size: 0.9rem; }
tfoot th { text-align: right; font-weight: 400; }
tfoot tr.total th, tfoot tr.total td { font-weight: 700; border-top: 2px solid #1b1f24; }
footer { margin-top: 3rem; border-top: 1px solid #d0d7de; padding-top: 1rem; }
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


def _party_lines(party: Party, *, outside_scope: bool) -> list[str]:
    lines = [party.name or "", *party.address.lines()]
    # BR-O-02: an invoice not subject to VAT shows no VAT identifier, like its XML and PDF.
    if party.vat_id and not outside_scope:
        lines.append(f"VAT ID: {party.vat_id}")
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


def _totals_rows(document: InvoiceDocument) -> str:
    totals, currency, language = document.totals, document.currency, document.language
    rows: list[tuple[str, Decimal]] = [("Subtotal", totals.line_total)]
    if totals.allowance_total:
        rows.append(("Discount", -totals.allowance_total))
    if totals.charge_total:
        rows.append(("Charges", totals.charge_total))
    rows.append(("VAT", totals.tax_total))
    cells = [
        f'<th scope="row" colspan="4">{_e(label)}</th>'
        f'<td class="num">{_e(format_money(amount, currency, language))}</td>'
        for label, amount in rows
    ]
    total = format_money(totals.tax_inclusive, currency, language)
    return "".join(f"<tr>{cell}</tr>" for cell in cells) + (
        '<tr class="total"><th scope="row" colspan="4">Total</th>'
        f'<td class="num">{_e(total)}</td></tr>'
    )


def _payments(
    document: InvoiceDocument, payments: Sequence[PaymentRecord], timezone: ZoneInfo
) -> str:
    if not payments:
        return "<p>No payments have been recorded for this invoice yet.</p>"
    currency, language = document.currency, document.language
    rows = []
    for payment in payments:
        paid_at = payment.paid_at.astimezone(timezone)
        rows.append(
            "<tr>"
            f'<td><time datetime="{_e(paid_at.isoformat())}">{_e(paid_at.date())}</time></td>'
            f"<td>{_e(method_label(payment.method))}</td>"
            f'<td class="num">{_e(format_money(payment.amount, currency, language))}</td>'
            "</tr>"
        )
    return (
        "<table><caption>Payments received</caption><thead><tr>"
        '<th scope="col">Date</th><th scope="col">Method</th>'
        '<th scope="col" class="num">Amount</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _how_to_pay(document: InvoiceDocument) -> str:
    if document.status is DocumentStatus.CANCELLED:
        return "<p>This invoice has been cancelled; nothing is due.</p>"
    if document.balance <= 0:
        return "<p>This invoice is paid in full; nothing is due.</p>"
    parts = []
    payment = document.payment
    if payment is not None:
        rows = [("Method", _e(MEANS_NAMES.get(payment.means_code, payment.means_code)))]
        for label, value in (
            ("Account holder", payment.account_name),
            ("IBAN", payment.iban),
            ("BIC", payment.bic),
            ("Bank", payment.bank_name),
            ("Reference", payment.remittance_information or document.number),
        ):
            if value:
                rows.append((label, _e(value)))
        parts.append("<h3>Bank transfer</h3>" + _definitions(rows))
    if document.payment_methods:
        items = "".join(f"<li>{_e(method)}</li>" for method in document.payment_methods)
        parts.append(f"<h3>Accepted payment methods</h3><ul>{items}</ul>")
    if document.payment_terms:
        parts.append(f"<p>Payment terms: {_e(document.payment_terms)}</p>")
    return "".join(parts) or "<p>Contact us to arrange payment.</p>"


def render_public_page(
    document: InvoiceDocument,
    *,
    payments: Sequence[PaymentRecord],
    pdf_path: str,
    timezone: ZoneInfo,
) -> str:
    """The HTML page of an issued invoice.

    Args:
        document: the invoice's document model (the same one the PDF is rendered from).
        payments: the payments applied to the invoice, oldest first.
        pdf_path: the link to the public PDF.
        timezone: the operator's time zone, in which payment dates are shown.
    """
    seller = document.seller
    seller_lines = _party_lines(seller, outside_scope=document.is_outside_scope)
    brand = seller.display_name or "Invoice"
    currency, language = document.currency, document.language
    status = document.status.value
    summary = [
        ("Status", f'<span class="status status-{_e(status)}">{_e(status.capitalize())}</span>'),
        ("Issue date", f'<time datetime="{document.issue_date}">{document.issue_date}</time>'),
    ]
    if document.due_date:
        summary.append(
            ("Due date", f'<time datetime="{document.due_date}">{document.due_date}</time>')
        )
    summary.append(("Total", _e(format_money(document.totals.payable, currency, language))))
    if document.amount_credited:
        credited = format_money(document.amount_credited, currency, language)
        summary.append(("Credited", _e(credited)))
    if document.amount_paid:
        summary.append(("Amount paid", _e(format_money(document.amount_paid, currency, language))))
    due = _e(format_money(document.balance, currency, language))
    summary.append(("Amount due", f'<span class="due">{due}</span>'))
    title = f"Invoice {document.number}"
    return f"""<!DOCTYPE html>
<html lang="{_e(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{_e(title)} | {_e(brand)}</title>
<style>{_STYLE}</style>
</head>
<body>
<div class="page">
<header>{_logo(document, brand)}<p class="brand">{_e(brand)}</p></header>
<main>
<h1>{_e(title)}</h1>
{_definitions(summary)}
<p><a class="button" href="{_e(pdf_path)}">Download the PDF</a></p>
<section aria-labelledby="items-heading">
<h2 id="items-heading">Items</h2>
<table>
<caption>Items on invoice {_e(document.number)}, amounts in {_e(currency)}</caption>
<thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th>
<th scope="col" class="num">Unit price</th><th scope="col" class="num">VAT</th>
<th scope="col" class="num">Amount</th></tr></thead>
<tbody>{_line_rows(document)}</tbody>
<tfoot>{_totals_rows(document)}</tfoot>
</table>
</section>
<section aria-labelledby="payments-heading">
<h2 id="payments-heading">Payment history</h2>
{_payments(document, payments, timezone)}
</section>
<section aria-labelledby="pay-heading">
<h2 id="pay-heading">How to pay</h2>
{_how_to_pay(document)}
</section>
</main>
<footer><p class="muted">{_lines(seller_lines)}</p></footer>
</div>
</body>
</html>
"""
