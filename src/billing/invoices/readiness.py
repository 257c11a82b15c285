"""Issuing needs a seller complete enough for the invoice's e-invoice formats.

Issuing freezes the seller, so an invoice issued with a seller that misses, say, its VAT
identifier could never become a valid e-invoice afterwards. The formats an invoice must
support are the EN 16931 core ones every tenant may download (CII and Factur-X, which share
the same checks) plus the buyer's preferred format (UBL or XRechnung add Peppol and German
rules). Only what the operator fills in under ``seller`` in the settings is checked here;
buyer data is reported when a document is downloaded.
"""

from __future__ import annotations

from billing.invoices.document import build_invoice_document
from billing.invoices.einvoice_fields import SELLER_SETTINGS, group_by_field
from billing.invoices.errors import SellerIncomplete
from billing.models.billing_profile import BillingProfile
from billing.models.invoice import Invoice
from billing.renderers import DocumentError, DocumentFormat, MissingField, missing_einvoice_fields
from billing.settings.schemas import OperatorSettings

CORE_FORMATS = (DocumentFormat.CII, DocumentFormat.ZUGFERD)
"""Formats every issued invoice can be downloaded in."""


def invoice_formats(profile: BillingProfile | None) -> tuple[DocumentFormat, ...]:
    """The core formats plus the buyer's preferred e-invoice format, if it has one."""
    formats = list(CORE_FORMATS)
    preferred = profile.preferred_einvoice_format if profile is not None else None
    if preferred:
        chosen = DocumentFormat.parse(preferred)
        if chosen.is_einvoice and chosen not in formats:
            formats.append(chosen)
    return tuple(formats)


def check_seller(
    invoice: Invoice, settings: OperatorSettings, formats: tuple[DocumentFormat, ...]
) -> None:
    """Raise ``SellerIncomplete`` naming each missing seller setting once.

    ``invoice`` carries the seller snapshot about to be frozen and its lines.
    """
    try:
        document = build_invoice_document(invoice, settings, public_url="")
    except DocumentError:
        # Not a seller problem: the download reports it (422 invoice_document_invalid).
        return
    missing: list[MissingField] = []
    needed_by: dict[str, list[str]] = {}
    for document_format in formats:
        for item in missing_einvoice_fields(document, document_format):
            if item.field in SELLER_SETTINGS or item.field.startswith("seller."):
                missing.append(item)
                needed_by.setdefault(item.field, []).append(document_format.value)
    if not missing:
        return
    problems = group_by_field(missing)
    details = []
    for problem in problems:
        setting = SELLER_SETTINGS.get(problem.field)
        details.append(
            {
                **problem.as_dict(),
                "setting": f"seller.{setting}" if setting else None,
                "formats": list(dict.fromkeys(needed_by[problem.field])),
            }
        )
    labels = ", ".join(problem.label for problem in problems)
    names = ", ".join(document_format.value for document_format in formats)
    raise SellerIncomplete(
        f"The seller settings are incomplete for this invoice's formats ({names}); missing: "
        f"{labels}. Fill them in with PUT /api/v1/admin/settings, then issue again.",
        details=details,
    )
