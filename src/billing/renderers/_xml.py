"""Helpers shared by the UBL and CII writers: number formatting and None-skipping elements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree

from billing.core.money import round_money

Element = etree._Element


def amount(value: Decimal, currency: str) -> str:
    """An amount with exactly the currency's decimals (``116.00``, ``500`` for JPY)."""
    return format(round_money(value, currency), "f")


def plain(value: Decimal) -> str:
    """A quantity, price or rate without exponent or trailing zeros (``2.5``, ``12.345``)."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def iso_date(value: dt.date) -> str:
    """UBL dates (``2026-05-01``)."""
    return value.isoformat()


def cii_date(value: dt.date) -> str:
    """CII dates in format 102 (``20260501``)."""
    return value.strftime("%Y%m%d")


def child(
    parent: Element,
    tag: str,
    text: str | None = None,
    attrib: dict[str, str] | None = None,
) -> Element:
    """Append ``tag`` (Clark notation) with optional text and attributes."""
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def optional(
    parent: Element,
    tag: str,
    text: str | None,
    attrib: dict[str, str] | None = None,
) -> Element | None:
    """Append ``tag`` only when ``text`` is present: no empty elements (PEPPOL-EN16931-R008)."""
    if text is None or text == "":
        return None
    return child(parent, tag, text, attrib)


def serialize(root: Element) -> bytes:
    """UTF-8 with an XML declaration; no pretty-printing, to keep large invoices small."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
