"""Subscriptions: recurring prices billed by themselves, exactly once per period.

See ``docs/subscriptions.md`` for the design: periods and anchors (``schedule``), exact
day-weighted amounts (``proration``), the per-period charges (``ledger``), the invoices they
become (``invoicing``), collection and dunning (``collection``), the billing cycle (``cycle``),
the upcoming invoice (``upcoming``) and the API (``router``).
"""
