"""Reports as CSV: one header line of field names, then one line per row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from billing.reports.operator.schemas import ReportFormat

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def cell(value: Any) -> Any:
    """A value as a spreadsheet may read it: text a spreadsheet would run as a formula
    (``=HYPERLINK(...)``, ``+1``, ``@SUM``) gets a leading apostrophe (OWASP's CSV injection
    advice); numbers, negative amounts included, are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def wanted_format(request: Request, requested: ReportFormat | None) -> ReportFormat:
    """``?format=`` when given, else CSV when the Accept header names ``text/csv`` before
    (or without) JSON, else JSON."""
    if requested is not None:
        return requested
    accept = request.headers.get("accept", "").lower()
    if "text/csv" not in accept:
        return ReportFormat.JSON
    json_at = accept.find("application/json")
    return (
        ReportFormat.CSV
        if json_at < 0 or accept.find("text/csv") < json_at
        else (ReportFormat.JSON)
    )


def csv_response(rows: Sequence[BaseModel], model: type[BaseModel], filename: str) -> Response:
    """The rows as a CSV download; amounts as the JSON shows them (decimal strings)."""
    buffer = io.StringIO()
    fields = list(model.model_fields)
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        dumped = row.model_dump(mode="json")
        writer.writerow({key: "" if dumped[key] is None else cell(dumped[key]) for key in fields})
    return Response(
        content=buffer.getvalue(),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
