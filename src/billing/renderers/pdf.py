"""The human-readable PDF invoice (reportlab platypus).

Layout: seller branding and address, document title and dates, QR code to the public page;
buyer block and references; the line table (its header repeats on every page); VAT breakdown
and totals, amount paid and balance; payment instructions and the enabled payment methods;
exemption notes and free notes; a footer with "Page X of Y" on every page. Drafts carry a
diagonal DRAFT watermark drawn beneath the content.

Constraints that shape the code:

* Every font is embedded TrueType (DejaVu Sans, vendored in ``fonts/`` with its licence, and
  WenQuanYi Micro Hei for the Chinese, Japanese and Korean text DejaVu cannot print, see
  ``pdf_text``): no standard-14 font appears anywhere, not even as the canvas' initial font,
  because PDF/A (``zugferd``) forbids non-embedded fonts and because Helvetica cannot print
  "Łódź" or "KSh".
* Text keeps its line breaks (descriptions, notes, payment terms), and the columns of the
  line table and the summary are as wide as their widest amount: a ten-digit amount widens
  its column (and, when the page has no room left, makes the table's type smaller) instead
  of printing over its neighbour.
* Output is deterministic: reportlab's invariant mode, the creation date taken from the issue
  date and the file identifier from the content, so the same document gives the same bytes.
* Colours are DeviceRGB only (covered by the sRGB output intent of the PDF/A variant) and the
  watermark is drawn opaque in a light tint rather than with transparency.
* Nothing is fetched: the seller logo URL is not downloaded; the trading name is the brand.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, ClassVar

import qrcode
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from billing.renderers.base import DocumentFormat, InvoiceRenderer, RenderOptions
from billing.renderers.labels import (
    MEANS_NAMES,
    format_money,
    format_price,
    format_quantity,
    format_rate,
    labels_for,
)
from billing.renderers.model import InvoiceDocument, InvoiceLine, InvoiceTypeCode, Party
from billing.renderers.pdf_lines import TextLines
from billing.renderers.pdf_table import TextBatchTable
from billing.renderers.pdf_text import (
    FONT_BOLD,
    FONT_REGULAR,
    draw_string,
    markup,
    needs_fallback,
    string_width,
)

INK = colors.Color(0.13, 0.13, 0.15)
MUTED = colors.Color(0.42, 0.42, 0.46)
RULE = colors.Color(0.82, 0.83, 0.86)
BAND = colors.Color(0.95, 0.95, 0.97)
ACCENT = colors.Color(0.12, 0.31, 0.55)
WATERMARK = colors.Color(0.97, 0.84, 0.84)

PRODUCER = "billing"
_DETAIL = "#6b6b75"  # MUTED as a hex colour, for detail lines and markup
_DASH = " \u2013 "  # en dash between the dates of a period

# Line table columns as fractions of the frame width: #, item, qty, unit price, VAT, amount.
# They are minimums for the number columns: a wider value widens its column, and the item
# column (which wraps) gives up the room, down to _MIN_ITEM of the frame.
_COLUMNS = (0.05, 0.43, 0.12, 0.16, 0.08, 0.16)
_MIN_ITEM = 0.25
_CELL_PADDING = 4.0
_SUMMARY_PADDING = 6.0  # reportlab's default cell padding, kept by the summary tables


@dataclass(frozen=True, slots=True)
class _Styles:
    size: float
    body: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    bold: ParagraphStyle
    brand: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    right: ParagraphStyle
    right_bold: ParagraphStyle


@lru_cache(maxsize=32)
def _styles(size: float) -> _Styles:
    # Paragraph styles are immutable in practice; cache one set per font size.
    def style(name: str, **kwargs: Any) -> ParagraphStyle:
        base: dict[str, Any] = {
            "fontName": FONT_REGULAR,
            "fontSize": size,
            "leading": size * 1.3,
            "textColor": INK,
        }
        base.update(kwargs)
        return ParagraphStyle(f"{name}-{size}", **base)

    return _Styles(
        size=size,
        body=style("body"),
        small=style("small", fontSize=size * 0.85, leading=size * 1.1),
        muted=style("muted", fontSize=size * 0.85, leading=size * 1.1, textColor=MUTED),
        bold=style("bold", fontName=FONT_BOLD),
        brand=style(
            "brand", fontName=FONT_BOLD, fontSize=size * 1.8, leading=size * 2.2, textColor=ACCENT
        ),
        title=style(
            "title", fontName=FONT_BOLD, fontSize=size * 1.6, leading=size * 2.0, alignment=TA_RIGHT
        ),
        heading=style(
            "heading",
            fontName=FONT_BOLD,
            fontSize=size * 1.05,
            leading=size * 1.5,
            textColor=ACCENT,
        ),
        right=style("right", alignment=TA_RIGHT),
        right_bold=style("right_bold", fontName=FONT_BOLD, alignment=TA_RIGHT),
    )


@lru_cache(maxsize=512)
def _qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    # A fixed mask pattern skips the evaluation of all eight masks (5 ms -> under 1 ms); any
    # mask decodes, the search only optimises contrast for marginal scanners. The matrix is
    # a pure function of the URL, so it is cached: an invoice is rendered again for every
    # paper size and for the Factur-X variant.
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=2
    )
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


class QrCodeFlowable(Flowable):  # type: ignore[misc]
    """A QR code drawn as filled rectangles (one path), with the 4-module quiet zone."""

    def __init__(self, data: str, size: float) -> None:
        super().__init__()
        self.data = data
        self.matrix = _qr_matrix(data)
        self.size = size
        self.width = size
        self.height = size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return (self.size, self.size)

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, self.size, self.size, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        canvas.drawPath(PDFPathObject([_qr_path_code(self.data, self.size)]), stroke=0, fill=1)
        canvas.restoreState()


@lru_cache(maxsize=512)
def _qr_path_code(data: str, size: float) -> str:
    # The dark modules as one path, one rectangle per horizontal run. Writing a few hundred
    # rectangles costs more than encoding the (cached) matrix, and the path is as much a
    # function of the URL and size, so its PDF operators are cached too.
    matrix = _qr_matrix(data)
    module = size / (len(matrix) + 8)
    path = PDFPathObject()
    for row_index, row in enumerate(matrix):
        y = size - (row_index + 5) * module
        start = None
        for column, dark in enumerate([*row, False]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                path.rect((start + 4) * module, y, (column - start) * module, module)
                start = None
    return str(path.getCode())


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """Defers page output until the page count is known, then draws "Page X of Y" footers."""

    def __init__(
        self,
        *args: Any,
        footer: Callable[[Canvas, int, int], None],
        issue_stamp: tuple[int, int, int],
        seed: bytes,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._page_states: list[dict[str, Any]] = []
        self._footer = footer
        # Creation/modification dates come from the issue date, not the clock, and the file
        # identifier is seeded from the document; together with invariant mode the output
        # is byte-for-byte reproducible.
        stamp = self._doc._timeStamp
        stamp.YMDhms = (*issue_stamp, 0, 0, 0)
        stamp.dhh = stamp.dmm = 0
        signature = hashlib.md5(usedforsecurity=False)
        signature.update(seed)
        self._doc.signature = signature

    def showPage(self) -> None:
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = len(self._page_states)
        for number, state in enumerate(self._page_states, 1):
            self.__dict__.update(state)
            self._footer(self, number, pages)
            super().showPage()
        super().save()


class _Layout:
    """Builds the story (flowables) of one document on one page size."""

    def __init__(self, document: InvoiceDocument, pagesize: tuple[float, float]) -> None:
        self.doc = document
        self.width, self.height = pagesize
        self.labels = labels_for(document.language)
        self.language = document.language
        self.margin = max(18.0, min(self.width * 0.06, 54.0))
        size = round(max(6.5, min(self.width / 595.27 * 9.0, 10.5)), 1)
        self.styles = _styles(size)
        self.frame_width = self.width - 2 * self.margin
        self.footer_height = size * 3.2

    # -- helpers -----------------------------------------------------------------------
    def money(self, value: Any) -> str:
        return format_money(value, self.doc.currency, self.language)

    def para(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        """A Paragraph of ready markup."""
        return Paragraph(text, style or self.styles.body)

    def text(self, text: str, style: ParagraphStyle | None = None) -> TextLines:
        """Plain text (CJK in the fallback font, line breaks kept), wrapped where needed."""
        return TextLines(text.replace("\r\n", "\n").split("\n"), style or self.styles.body)

    def lines_para(self, lines: Sequence[str], style: ParagraphStyle | None = None) -> TextLines:
        """Plain-text lines, each on its own line (wrapped where needed); empty ones dropped."""
        return TextLines([line for line in lines if line], style or self.styles.body)

    def title(self) -> str:
        return _kind(self.doc, self.labels)

    def party_lines(self, party: Party, *, include_name: bool) -> list[str]:
        labels = self.labels
        out: list[str] = []
        if include_name and party.name:
            out.append(party.name)
        out.extend(party.address.lines())
        # BR-O-02: an invoice not subject to VAT carries no VAT identifiers, in print as in XML.
        if party.vat_id and not self.doc.is_outside_scope:
            out.append(f"{labels['vat_id']}: {party.vat_id}")
        if party.tax_registration_id:
            out.append(f"{labels['tax_number']}: {party.tax_registration_id}")
        if party.legal_registration_id:
            out.append(f"{labels['registration']}: {party.legal_registration_id}")
        contact = party.contact
        if contact:
            out.extend(part for part in (contact.name, contact.phone, contact.email) if part)
        return out

    # -- blocks --------------------------------------------------------------------------
    def story(self) -> list[Flowable]:
        story: list[Flowable] = [self.header(), Spacer(1, self.styles.size * 1.5), self.parties()]
        story.append(Spacer(1, self.styles.size * 1.5))
        story.append(self.line_table())
        story.append(Spacer(1, self.styles.size))
        story.append(KeepTogether(self.summary()))
        story.extend(self.payment_block())
        story.extend(self.notes_block())
        return story

    def header(self) -> Table:
        doc, labels, styles = self.doc, self.labels, self.styles
        seller = doc.seller
        brand = seller.display_name or doc.seller.name or ""
        left: list[Flowable] = [self.text(brand, styles.brand)]
        lines = self.party_lines(seller, include_name=bool(seller.trading_name and seller.name))
        if lines:
            left.append(self.lines_para(lines, styles.small))
        meta = [
            (labels["number"], doc.number),
            (labels["issue_date"], doc.issue_date.isoformat()),
        ]
        if doc.due_date:
            meta.append((labels["due_date"], doc.due_date.isoformat()))
        status = labels.get(f"status_{doc.status.value}", doc.status.value.capitalize())
        meta.append((labels["status"], status))
        right: list[Flowable] = [self.text(self.title(), styles.title)]
        meta_table = Table(
            [[self.text(k, styles.muted), self.text(v, styles.right)] for k, v in meta],
            colWidths=[self.frame_width * 0.16, self.frame_width * 0.24],
            hAlign="RIGHT",
        )
        meta_table.setStyle(_PLAIN)
        right.append(meta_table)
        columns: list[Any] = [left, right]
        widths = [self.frame_width * 0.55, self.frame_width * 0.45]
        if doc.public_url:
            qr_size = max(48.0, min(self.frame_width * 0.15, 90.0))
            widths = [self.frame_width * 0.55 - qr_size, self.frame_width * 0.45, qr_size]
            columns.append(
                [
                    QrCodeFlowable(doc.public_url, qr_size),
                    self.text(labels["scan_to_view"], styles.muted),
                ]
            )
        table = Table([columns], colWidths=widths)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT_REGULAR, self.styles.size),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return table

    def parties(self) -> Table:
        doc, labels, styles = self.doc, self.labels, self.styles
        buyer = doc.buyer
        bill_to: list[Flowable] = [self.text(labels["bill_to"], styles.heading)]
        bill_to.append(self.text(buyer.name or buyer.display_name, styles.bold))
        lines = self.party_lines(buyer, include_name=False)
        if buyer.trading_name and buyer.trading_name != buyer.name:
            lines.insert(0, buyer.trading_name)
        if lines:
            bill_to.append(self.lines_para(lines, styles.small))
        details: list[tuple[str, str]] = []
        if doc.buyer_reference:
            details.append((labels["buyer_reference"], doc.buyer_reference))
        if doc.purchase_order_reference:
            details.append((labels["order_reference"], doc.purchase_order_reference))
        for preceding in doc.preceding_invoices:
            when = f" ({preceding.issue_date.isoformat()})" if preceding.issue_date else ""
            details.append((labels["preceding_invoice"], preceding.number + when))
        period = doc.invoicing_period
        if period:
            details.append(
                (
                    labels["period"],
                    _DASH.join(d.isoformat() for d in (period.start, period.end) if d),
                )
            )
        delivery = doc.delivery
        if delivery and delivery.date:
            details.append((labels["delivery_date"], delivery.date.isoformat()))
        if delivery and delivery.address:
            target = [delivery.party_name or "", *delivery.address.lines()]
            details.append((labels["deliver_to"], ", ".join(part for part in target if part)))
        right: list[Flowable] = []
        if details:
            right.append(self.text(labels["details"], styles.heading))
            right.append(
                self.para(
                    "<br/>".join(
                        f"<font color='{_DETAIL}'>{markup(key)}:</font> {markup(value)}"
                        for key, value in details
                    ),
                    styles.small,
                )
            )
        table = Table(
            [[bill_to, right]], colWidths=[self.frame_width * 0.55, self.frame_width * 0.45]
        )
        table.setStyle(_PLAIN)
        return table

    def line_table(self) -> Table:
        doc, labels = self.doc, self.labels
        header = [
            labels["col_number"],
            labels["col_item"],
            labels["col_quantity"],
            labels["col_unit_price"],
            labels["col_vat"],
            labels["col_amount"],
        ]
        numbers: list[list[str]] = []
        for position, line in enumerate(doc.lines, 1):
            rate = (
                "—" if line.vat_category.value == "O" else format_rate(line.vat_rate, self.language)
            )
            if line.vat_category.value not in ("S", "O"):
                rate = f"{rate} {line.vat_category.value}"
            numbers.append(
                [
                    str(position),
                    format_quantity(line.quantity, line.unit_code, self.language),
                    format_price(line.unit_price, doc.currency, self.language),
                    rate,
                    self.money(line.net_amount),
                ]
            )
        fixed = [0, 2, 3, 4, 5]  # every column but the item, which wraps
        widths, size = fit_columns(
            [header[c] for c in fixed],
            numbers,
            minimums=[self.frame_width * _COLUMNS[c] for c in fixed],
            available=self.frame_width * (1 - _MIN_ITEM),
            size=self.styles.size,
        )
        item_width = self.frame_width - sum(widths)
        all_widths = [widths[0], item_width, *widths[1:]]
        body = _styles(size).body
        rows: list[list[Any]] = [header]
        for line, values in zip(doc.lines, numbers, strict=True):
            rows.append([values[0], self.item_cell(line, item_width, size, body), *values[1:]])
        table = TextBatchTable(rows, colWidths=all_widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT_REGULAR, size),
                    ("FONT", (0, 0), (-1, 0), FONT_BOLD, size),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("BACKGROUND", (0, 0), (-1, 0), BAND),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.75, ACCENT),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                    ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                    ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
                ]
            )
        )
        return table

    def item_cell(
        self, line: InvoiceLine, width: float, size: float, style: ParagraphStyle
    ) -> str | TextLines:
        """The item name with its description, note, SKU and period, each line kept."""
        labels = self.labels
        name = line.name or ""
        extra = [part for part in (line.description, line.note) if part]
        if line.seller_item_id:
            extra.append(f"{labels['sku']}: {line.seller_item_id}")
        if line.period:
            extra.append(
                _DASH.join(d.isoformat() for d in (line.period.start, line.period.end) if d)
            )
        # Plain strings are much cheaper than Paragraphs; wrap only when needed.
        if (
            not extra
            and "\n" not in name
            and not needs_fallback(name)
            and pdfmetrics.stringWidth(name, FONT_REGULAR, size) <= width - 2 * _CELL_PADDING
        ):
            return name
        # The detail size is rounded as the markup of the Paragraph this replaced wrote it.
        return TextLines(
            [name], style, details=extra, detail_size=round(size * 0.85, 1), detail_color=_DETAIL
        )

    def summary(self) -> list[Flowable]:
        doc, labels, styles = self.doc, self.labels, self.styles
        totals = doc.totals
        size = styles.size
        breakdown_rows: list[list[str]] = [
            [labels["category"], labels["rate"], labels["taxable"], labels["tax"]]
        ]
        for group in doc.vat_breakdown:
            rate = (
                "—"
                if group.vat_category.value == "O"
                else format_rate(group.vat_rate, self.language)
            )
            breakdown_rows.append(
                [
                    group.vat_category.value,
                    rate,
                    self.money(group.taxable_amount),
                    self.money(group.tax_amount),
                ]
            )
        rows: list[tuple[str, str, bool]] = [
            (labels["subtotal"], self.money(totals.line_total), False)
        ]
        if doc.allowances:
            rows.append((labels["discount"], self.money(-totals.allowance_total), False))
        if doc.charges:
            rows.append((labels["charge"], self.money(totals.charge_total), False))
        if doc.allowances or doc.charges:
            rows.append((labels["net_total"], self.money(totals.tax_exclusive), False))
        rows.append((labels["vat_total"], self.money(totals.tax_total), False))
        rows.append((labels["total"], self.money(totals.tax_inclusive), True))
        if totals.prepaid:
            rows.append((labels["prepaid"], self.money(-totals.prepaid), False))
            rows.append((labels["amount_due"], self.money(totals.payable), True))
        if not doc.type_code.is_credit_note:
            # A credit note asks nobody to pay it: its total is what it credits.
            if doc.amount_credited:
                rows.append((labels["amount_credited"], self.money(-doc.amount_credited), False))
            if doc.amount_paid:
                rows.append((labels["amount_paid"], self.money(-doc.amount_paid), False))
            rows.append((labels["balance"], self.money(doc.balance), True))
        totals_rows = [[label, value] for label, value, _ in rows]
        frame = self.frame_width
        breakdown_fractions, totals_fractions = (0.2, 0.18, 0.34, 0.28), (0.55, 0.45)

        def layout(
            breakdown_share: float, totals_share: float
        ) -> tuple[list[float], float, list[float], float]:
            # Totals are measured in bold: their strong rows are.
            b_widths, b_size = fit_columns(
                breakdown_rows[0],
                breakdown_rows[1:],
                minimums=[frame * breakdown_share * f for f in breakdown_fractions],
                available=frame,
                size=size * 0.9,
                padding=_SUMMARY_PADDING,
            )
            t_widths, t_size = fit_columns(
                None,
                totals_rows,
                minimums=[frame * totals_share * f for f in totals_fractions],
                available=frame,
                size=size,
                padding=_SUMMARY_PADDING,
                bold=True,
            )
            return b_widths, b_size, t_widths, t_size

        # Side by side on wide paper when both fit with a gap; stacked otherwise (A6,
        # Statement, or amounts of ten digits) so the two tables never overlap.
        b_widths, b_size, t_widths, t_size = layout(0.55, 0.42)
        side_by_side = frame >= 400 and sum(b_widths) + sum(t_widths) + frame * 0.03 <= frame
        if not side_by_side:
            b_widths, b_size, t_widths, t_size = layout(1.0, 0.75)
        breakdown = TextBatchTable(breakdown_rows, colWidths=b_widths, hAlign="LEFT")
        breakdown.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT_REGULAR, b_size),
                    ("FONT", (0, 0), (-1, 0), FONT_BOLD, b_size),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
                    ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                    ("LEFTPADDING", (0, 0), (-1, -1), _SUMMARY_PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), _SUMMARY_PADDING),
                ]
            )
        )
        totals_table = TextBatchTable(totals_rows, colWidths=t_widths, hAlign="RIGHT")
        commands: list[tuple[Any, ...]] = [
            ("FONT", (0, 0), (-1, -1), FONT_REGULAR, t_size),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LEFTPADDING", (0, 0), (-1, -1), _SUMMARY_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), _SUMMARY_PADDING),
        ]
        for index, (_, _, strong) in enumerate(rows):
            if strong:
                commands.append(("FONT", (0, index), (-1, index), FONT_BOLD, t_size))
                commands.append(("LINEABOVE", (0, index), (-1, index), 0.5, RULE))
        totals_table.setStyle(TableStyle(commands))
        if not side_by_side:
            return [totals_table, Spacer(1, size * 0.6), breakdown]
        outer = Table([[breakdown, totals_table]], colWidths=[frame - sum(t_widths), sum(t_widths)])
        outer.setStyle(_PLAIN)
        return [outer]

    def payment_block(self) -> list[Flowable]:
        doc, labels, styles = self.doc, self.labels, self.styles
        payment = doc.payment
        lines: list[str] = []
        if payment:
            lines.append(
                MEANS_NAMES.get(payment.means_code, payment.means_text or payment.means_code)
            )
            for key, value in (
                ("account_name", payment.account_name),
                ("iban", payment.iban),
                ("bic", payment.bic),
                ("bank", payment.bank_name),
                ("mandate", payment.mandate_reference),
                ("card", payment.card_number),
            ):
                if value:
                    lines.append(f"{labels[key]}: {value}")
            reference = payment.remittance_information or doc.number
            lines.append(f"{labels['reference']}: {reference}")
        if doc.payment_terms:
            lines.append(f"{labels['payment_terms']}: {doc.payment_terms}")
        blocks: list[Flowable] = []
        if lines:
            blocks.append(self.text(labels["payment"], styles.heading))
            blocks.append(self.lines_para(lines, styles.small))
        if doc.payment_methods:
            blocks.append(self.text(labels["how_to_pay"], styles.heading))
            blocks.append(self.lines_para([f"• {m}" for m in doc.payment_methods], styles.small))
        if doc.public_url:
            blocks.append(self.text(doc.public_url, styles.muted))
        if not blocks:
            return []
        return [Spacer(1, styles.size), KeepTogether(blocks)]

    def notes_block(self) -> list[Flowable]:
        doc, labels, styles = self.doc, self.labels, self.styles
        out: list[Flowable] = []
        exemptions = [
            f"{group.vat_category.value}: {group.exemption_reason or ''}"
            f"{' (' + group.exemption_reason_code + ')' if group.exemption_reason_code else ''}"
            for group in doc.vat_breakdown
            if group.exemption_reason or group.exemption_reason_code
        ]
        # Each heading stays with its text (no heading alone at the foot of a page).
        if exemptions:
            out.append(Spacer(1, styles.size * 0.5))
            out.append(
                KeepTogether(
                    [
                        self.text(labels["exemption"], styles.heading),
                        self.lines_para(exemptions, styles.small),
                    ]
                )
            )
        if doc.notes:
            out.append(Spacer(1, styles.size * 0.5))
            out.append(
                KeepTogether(
                    [
                        self.text(labels["notes"], styles.heading),
                        self.lines_para(list(doc.notes), styles.small),
                    ]
                )
            )
        return out

    # -- page decoration -------------------------------------------------------------------
    def draw_watermark(self, canvas: Canvas, _doc: Any) -> None:
        if not self.doc.is_draft:
            return
        text = self.labels["draft"]
        canvas.saveState()
        canvas.setFillColor(WATERMARK)
        size = self.width * 0.9 / max(len(text), 4) * 1.45
        canvas.setFont(FONT_BOLD, size)
        canvas.translate(self.width / 2, self.height / 2)
        canvas.rotate(math.degrees(math.atan2(self.height, self.width)))
        canvas.drawCentredString(0, -size / 3, text)
        canvas.restoreState()

    def draw_footer(self, canvas: Canvas, page: int, pages: int) -> None:
        styles = self.styles
        size = styles.size * 0.8
        y = self.margin * 0.6
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(self.margin, y + size * 1.6, self.width - self.margin, y + size * 1.6)
        canvas.setFillColor(MUTED)
        canvas.setFont(FONT_REGULAR, size)
        seller = self.doc.seller
        left = " · ".join(
            part
            for part in (seller.name or seller.display_name, f"{self.title()} {self.doc.number}")
            if part
        )
        draw_string(canvas, self.margin, y, left, FONT_REGULAR, size)
        canvas.drawRightString(
            self.width - self.margin, y, self.labels["page"].format(page=page, pages=pages)
        )
        canvas.restoreState()


_PLAIN = TableStyle(
    [
        # Every table names its font: reportlab's cell default is the non-embedded Helvetica.
        ("FONT", (0, 0), (-1, -1), FONT_REGULAR, 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
)


def fit_columns(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    *,
    minimums: Sequence[float],
    available: float,
    size: float,
    padding: float = _CELL_PADDING,
    bold: bool = False,
) -> tuple[list[float], float]:
    """Column widths that hold every cell, and the font size that lets them fit.

    Each column is at least its minimum and at least as wide as its widest cell (header in
    bold). When the columns then exceed ``available``, the font size shrinks until they fit
    (never below 60 % of ``size``; text widths scale linearly with the size).

    Returns:
        (widths, size).
    """
    body_font = FONT_BOLD if bold else FONT_REGULAR
    texts = [0.0] * len(minimums)
    measured = [(FONT_BOLD, header)] if header is not None else []
    measured += [(body_font, row) for row in rows]
    for font, row in measured:
        for index, cell in enumerate(row):
            texts[index] = max(texts[index], string_width(cell, font, size))
    widths = [max(low, text + 2 * padding) for low, text in zip(minimums, texts, strict=True)]
    if sum(widths) <= available:
        return widths, size
    fixed = 2 * padding * len(widths)
    scale = max(0.6, (available - fixed) / max(sum(texts), 1.0))
    smaller = math.floor(size * scale * 10) / 10
    factor = smaller / size
    widths = [
        max(low * factor, text * factor + 2 * padding)
        for low, text in zip(minimums, texts, strict=True)
    ]
    return widths, smaller


def _kind(document: InvoiceDocument, labels: dict[str, str]) -> str:
    code = document.type_code
    if code is InvoiceTypeCode.CREDIT_NOTE:
        return labels["credit_note"]
    if code is InvoiceTypeCode.CORRECTED_INVOICE:
        return labels["corrected_invoice"]
    return labels["invoice"]


def document_title(document: InvoiceDocument) -> str:
    """The PDF title: the localized document kind and its number (``Invoice INV-42``)."""
    return f"{_kind(document, labels_for(document.language))} {document.number}"


def render_pdf(document: InvoiceDocument, options: RenderOptions) -> bytes:
    """Render the invoice PDF on the requested paper size. Deterministic for equal inputs."""
    pagesize = options.pagesize
    layout = _Layout(document, pagesize)
    buffer = io.BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=layout.margin,
        rightMargin=layout.margin,
        topMargin=layout.margin,
        bottomMargin=layout.margin + layout.footer_height,
        title=document_title(document),
        author=document.seller.name or document.seller.display_name,
        subject=document_title(document),
        creator=PRODUCER,
        producer=PRODUCER,
        invariant=1,
        initialFontName=FONT_REGULAR,
        enforceColorSpace="rgb",
        lang=document.language,
    )
    frame = Frame(
        layout.margin,
        layout.margin + layout.footer_height,
        layout.frame_width,
        layout.height - 2 * layout.margin - layout.footer_height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    template.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=layout.draw_watermark)]
    )
    seed = f"{document.number}|{document.issue_date.isoformat()}|{options.paper_size}".encode()
    canvasmaker = partial(
        _NumberedCanvas,
        footer=layout.draw_footer,
        issue_stamp=(document.issue_date.year, document.issue_date.month, document.issue_date.day),
        seed=seed,
    )
    template.build(layout.story(), canvasmaker=canvasmaker)
    return buffer.getvalue()


class PdfRenderer(InvoiceRenderer):
    """The printable invoice: branding, lines, VAT, totals, payment, QR code, page numbers."""

    format: ClassVar[DocumentFormat] = DocumentFormat.PDF
    media_type: ClassVar[str] = "application/pdf"
    file_extension: ClassVar[str] = "pdf"
    version: ClassVar[int] = 2

    def render_bytes(self, document: InvoiceDocument, options: RenderOptions) -> bytes:
        """Render on ``options.paper_size`` (A4 by default); never raises for missing data."""
        return render_pdf(document, options)
