"""Invoices: creation, lines, totals, numbering, lifecycle."""
