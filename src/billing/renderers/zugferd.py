"""ZUGFeRD 2.x / Factur-X 1.0x (EN 16931 profile): the invoice PDF as PDF/A-3b with the CII
XML embedded as ``factur-x.xml``.

Composition, not inheritance: the ``PdfRenderer`` draws the pages, the ``CiiRenderer`` writes
the XML (after its completeness check), the XML is checked against the Factur-X EN 16931
schema, and ``make_pdfa3`` turns the two into the hybrid document with pikepdf. There is no
fallback: incomplete data raises ``EInvoiceIncompleteError``, a schema failure raises
``InvalidEInvoiceError``, and no plain PDF is ever returned instead.

``make_pdfa3`` writes what einvoice.md section 3 lists (the container rules receivers check):

* the embedded file stream ``/Type /EmbeddedFile /Subtype /text#2Fxml`` with ``/Params``
  ``/ModDate`` (and size and MD5 checksum), a file specification with ``/F`` and ``/UF``,
  ``/AFRelationship /Alternative`` (the Factur-X recommendation for the EN 16931 profile),
  referenced from ``/Names /EmbeddedFiles`` and from the catalog's ``/AF`` array;
* XMP metadata (uncompressed, no ``bytes=`` in the packet header) declaring
  ``pdfaid:part`` 3 / ``pdfaid:conformance`` B, the PDF/A extension schema that describes the
  ``fx`` namespace, and ``fx:DocumentType`` INVOICE, ``fx:DocumentFileName``,
  ``fx:Version`` 1.0 and ``fx:ConformanceLevel`` EN 16931; the Info dictionary carries the
  same title, author, subject, producer, creator and dates;
* an sRGB output intent (``/S /GTS_PDFA1``, ICC v2 profile) covering the DeviceRGB colours
  reportlab writes; fonts are embedded TrueType (see ``pdf.py``);
* PDF 1.7 header with the binary comment line, a deterministic trailer ``/ID``, no
  encryption, no JavaScript.

The factur-x package's ``generate_from_binary`` does the embedding too, but it stamps the
current time into the XMP, Info and ``/ModDate`` (so output is not reproducible), goes
through a temporary file and pypdf, and adds no output intent; the same structure is
written here directly.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import zlib
from pathlib import Path
from typing import ClassVar
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from billing.renderers.base import DocumentFormat, InvoiceRenderer, RenderedDocument, RenderOptions
from billing.renderers.cii import CiiRenderer
from billing.renderers.errors import InvalidEInvoiceError
from billing.renderers.model import InvoiceDocument
from billing.renderers.pdf import PRODUCER, PdfRenderer, document_title
from billing.renderers.validation import Syntax, ValidationIssue, validate_xml, validate_xsd

FACTURX_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
FACTURX_FILENAME = "factur-x.xml"
FACTURX_VERSION = "1.0"
SRGB_ICC = (Path(__file__).parent / "icc" / "sRGB.icc").read_bytes()
_SRGB_ICC_DEFLATED = zlib.compress(SRGB_ICC)
_A85_FLATE = Array([Name.ASCII85Decode, Name.FlateDecode])

_FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)


def _xmp(
    *,
    title: str,
    author: str,
    subject: str,
    timestamp: str,
    conformance_level: str,
    filename: str,
) -> bytes:
    properties = "".join(
        f"""
            <rdf:li rdf:parseType="Resource">
              <pdfaProperty:name>{name}</pdfaProperty:name>
              <pdfaProperty:valueType>Text</pdfaProperty:valueType>
              <pdfaProperty:category>external</pdfaProperty:category>
              <pdfaProperty:description>{escape(description)}</pdfaProperty:description>
            </rdf:li>"""
        for name, description in _FX_PROPERTIES
    )
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
      <pdfaid:part>3</pdfaid:part>
      <pdfaid:conformance>B</pdfaid:conformance>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <dc:format>application/pdf</dc:format>
      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
      <dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>
      <dc:description><rdf:Alt>
        <rdf:li xml:lang="x-default">{escape(subject)}</rdf:li>
      </rdf:Alt></dc:description>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
      <pdf:Producer>{escape(PRODUCER)}</pdf:Producer>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
      <xmp:CreatorTool>{escape(PRODUCER)}</xmp:CreatorTool>
      <xmp:CreateDate>{timestamp}</xmp:CreateDate>
      <xmp:ModifyDate>{timestamp}</xmp:ModifyDate>
      <xmp:MetadataDate>{timestamp}</xmp:MetadataDate>
    </rdf:Description>
    <rdf:Description rdf:about=""
        xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
        xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
        xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
      <pdfaExtension:schemas>
        <rdf:Bag>
          <rdf:li rdf:parseType="Resource">
            <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
            <pdfaSchema:namespaceURI>{FACTURX_NAMESPACE}</pdfaSchema:namespaceURI>
            <pdfaSchema:prefix>fx</pdfaSchema:prefix>
            <pdfaSchema:property>
              <rdf:Seq>{properties}
              </rdf:Seq>
            </pdfaSchema:property>
          </rdf:li>
        </rdf:Bag>
      </pdfaExtension:schemas>
    </rdf:Description>
    <rdf:Description rdf:about="" xmlns:fx="{FACTURX_NAMESPACE}">
      <fx:DocumentType>INVOICE</fx:DocumentType>
      <fx:DocumentFileName>{escape(filename)}</fx:DocumentFileName>
      <fx:Version>{FACTURX_VERSION}</fx:Version>
      <fx:ConformanceLevel>{escape(conformance_level)}</fx:ConformanceLevel>
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")


def make_pdfa3(
    pdf_bytes: bytes,
    xml_bytes: bytes,
    *,
    title: str,
    author: str,
    subject: str,
    date: dt.date,
    conformance_level: str = "EN 16931",
    filename: str = FACTURX_FILENAME,
    relationship: str = "Alternative",
    language: str | None = None,
) -> bytes:
    """Turn a PDF with embedded TrueType fonts and RGB colours into a Factur-X PDF/A-3b.

    Args:
        pdf_bytes: the visual invoice (from ``render_pdf``).
        xml_bytes: the CII XML to embed.
        title, author, subject: document metadata, written to Info and XMP alike.
        date: creation, modification and embedded-file date (the issue date, for
            reproducible output).
        conformance_level: ``fx:ConformanceLevel`` (``EN 16931``).
        filename: name of the embedded file (``factur-x.xml``).
        relationship: ``/AFRelationship`` value: ``Alternative``, ``Data`` or ``Source``.
        language: ``/Lang`` of the catalog.

    Returns:
        The PDF/A-3b bytes; equal inputs give equal bytes.
    """
    if relationship not in ("Alternative", "Data", "Source"):
        raise ValueError("AFRelationship must be Alternative, Data or Source")
    pdf_date = f"D:{date:%Y%m%d}000000+00'00'"
    xmp_date = f"{date:%Y-%m-%d}T00:00:00+00:00"
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        _drop_ascii85(pdf)
        embedded = _deflated_stream(pdf, xml_bytes)
        embedded.Type = Name.EmbeddedFile
        embedded.Subtype = Name("/text/xml")  # serialized as /text#2Fxml
        embedded.Params = Dictionary(
            ModDate=String(pdf_date),
            CreationDate=String(pdf_date),
            Size=len(xml_bytes),
            CheckSum=String(hashlib.md5(xml_bytes, usedforsecurity=False).digest()),
        )
        embedded_ref = pdf.make_indirect(embedded)
        filespec = pdf.make_indirect(
            Dictionary(
                Type=Name.Filespec,
                F=String(filename),
                UF=String(filename),
                Desc=String("Factur-X invoice data (CII)"),
                AFRelationship=Name("/" + relationship),
                EF=Dictionary(F=embedded_ref, UF=embedded_ref),
            )
        )
        for page in pdf.pages:
            # reportlab writes an empty /Trans (page transition) that PDF/A checkers do not
            # recognise; it has no effect on a printed invoice.
            if "/Trans" in page.obj and not page.obj.Trans.keys():
                del page.obj.Trans
        root = pdf.Root
        names = root.get("/Names")
        if not isinstance(names, Dictionary):
            names = Dictionary()
            root.Names = names
        names.EmbeddedFiles = Dictionary(Names=Array([String(filename), filespec]))
        root.AF = pdf.make_indirect(Array([filespec]))

        profile = pikepdf.Stream(pdf, b"")
        profile.write(_SRGB_ICC_DEFLATED, filter=Name.FlateDecode)
        profile.N = 3
        root.OutputIntents = Array(
            [
                Dictionary(
                    Type=Name.OutputIntent,
                    S=Name.GTS_PDFA1,
                    OutputConditionIdentifier=String("sRGB IEC61966-2.1"),
                    RegistryName=String("http://www.color.org"),
                    Info=String("sRGB IEC61966-2.1"),
                    DestOutputProfile=pdf.make_indirect(profile),
                )
            ]
        )
        metadata = pikepdf.Stream(
            pdf,
            _xmp(
                title=title,
                author=author,
                subject=subject,
                timestamp=xmp_date,
                conformance_level=conformance_level,
                filename=filename,
            ),
        )
        metadata.Type = Name.Metadata
        metadata.Subtype = Name.XML
        root.Metadata = pdf.make_indirect(metadata)
        if language:
            root.Lang = String(language)
        # The Info dictionary mirrors the XMP exactly (PDF/A requires them to agree).
        pdf.trailer.Info = pdf.make_indirect(
            Dictionary(
                Title=String(title),
                Author=String(author),
                Subject=String(subject),
                Creator=String(PRODUCER),
                Producer=String(PRODUCER),
                CreationDate=String(pdf_date),
                ModDate=String(pdf_date),
            )
        )
        out = io.BytesIO()
        pdf.save(
            out,
            deterministic_id=True,
            force_version="1.7",
            # Every stream is deflated already (reportlab's, and the ones added above); the
            # XMP must stay uncompressed. Letting qpdf compress would decode and deflate
            # every stream again, fonts included: 2.5 ms of a 1-page invoice for the same
            # bytes.
            compress_streams=False,
            object_stream_mode=pikepdf.ObjectStreamMode.preserve,
        )
    return out.getvalue()


def _deflated_stream(pdf: pikepdf.Pdf, data: bytes) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, b"")
    stream.write(zlib.compress(data), filter=Name.FlateDecode)
    return stream


def _drop_ascii85(pdf: pikepdf.Pdf) -> None:
    # reportlab wraps its page streams in ASCII85 over Flate (rl_config.useA85, a process-wide
    # setting); the binary Flate data inside is what a PDF/A file carries, 25 % smaller.
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream) or obj.get("/Filter") != _A85_FLATE:
            continue
        text = obj.read_raw_bytes().rstrip()
        if text.endswith(b"~>"):
            obj.write(base64.a85decode(text[:-2]), filter=Name.FlateDecode)


def embedded_xml(pdf_bytes: bytes, filename: str = FACTURX_FILENAME) -> bytes:
    """The bytes of the embedded e-invoice XML of a Factur-X PDF.

    Raises:
        KeyError: the PDF has no attachment of that name.
    """
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        attachment = pdf.attachments[filename]
        return bytes(attachment.get_file().read_bytes())


class ZugferdRenderer(InvoiceRenderer):
    """Factur-X / ZUGFeRD EN 16931: PDF/A-3b with the CII XML embedded."""

    format: ClassVar[DocumentFormat] = DocumentFormat.ZUGFERD
    media_type: ClassVar[str] = "application/pdf"
    file_extension: ClassVar[str] = "pdf"
    filename_suffix: ClassVar[str] = "-facturx"
    # Bump whenever PdfRenderer.version or CiiRenderer.version changes: this output
    # contains both.
    version: ClassVar[int] = 2
    conformance_level: ClassVar[str] = "EN 16931"
    xml_filename: ClassVar[str] = FACTURX_FILENAME

    def __init__(self, pdf: PdfRenderer | None = None, cii: CiiRenderer | None = None) -> None:
        self.pdf = pdf or PdfRenderer()
        self.cii = cii or CiiRenderer()

    def validate(self, rendered: RenderedDocument) -> list[ValidationIssue]:
        """Validate the embedded ``factur-x.xml`` (XSD and EN 16931 CII schematron)."""
        return validate_xml(embedded_xml(rendered.content, self.xml_filename), Syntax.CII)

    def render_bytes(self, document: InvoiceDocument, options: RenderOptions) -> bytes:
        """Write and check the XML, draw the PDF, and combine them into PDF/A-3b.

        Raises:
            EInvoiceIncompleteError: the document misses data EN 16931 requires.
            InvalidEInvoiceError: the XML failed the Factur-X EN 16931 schema.
        """
        xml_bytes = self.cii.render_bytes(document, options)
        issues = validate_xsd(xml_bytes, Syntax.CII)
        if issues:
            raise InvalidEInvoiceError(
                "the CII XML failed the Factur-X EN 16931 schema; no PDF was produced",
                [str(issue) for issue in issues],
            )
        pdf_bytes = self.pdf.render_bytes(document, options)
        title = document_title(document)
        return make_pdfa3(
            pdf_bytes,
            xml_bytes,
            title=title,
            author=document.seller.name or document.seller.display_name,
            subject=title,
            date=document.issue_date,
            conformance_level=self.conformance_level,
            filename=self.xml_filename,
            language=document.language,
        )
