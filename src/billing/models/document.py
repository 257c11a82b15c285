"""Rendered invoice documents, stored once and served byte-identical afterwards."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from billing.models.base import Base, TenantScopedMixin
from billing.models.types import EnumText
from billing.renderers.base import DocumentFormat

RENDITION_CONSTRAINT = "uq_invoice_documents_rendition"


class StoredDocument(TenantScopedMixin, Base):
    """One rendition of an issued invoice: a format, a paper size, a renderer version.

    Rows are written once (``INSERT ... ON CONFLICT DO NOTHING`` on the rendition key) and
    never changed; the API role may only insert and read them. ``paper_size`` and
    ``presentation_key`` are empty for the XML formats, which depend on neither; for the PDF
    formats ``presentation_key`` is the hash of what the page shows beyond the frozen invoice
    (status, amount paid, payment methods, public URL), see ``billing.documents.service``.
    """

    __tablename__ = "invoice_documents"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"]),
        UniqueConstraint(
            "tenant_id",
            "invoice_id",
            "format",
            "paper_size",
            "renderer_version",
            "presentation_key",
            name=RENDITION_CONSTRAINT,
        ),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column()
    format: Mapped[DocumentFormat] = mapped_column(EnumText(DocumentFormat, 20))
    paper_size: Mapped[str] = mapped_column(String(40))
    renderer_version: Mapped[int] = mapped_column(Integer)
    presentation_key: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
