"""Payments: the append-only ledger of money received and where it went."""
