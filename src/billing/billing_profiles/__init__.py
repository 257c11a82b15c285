"""Billing profiles: how a tenant appears as the buyer on its invoices."""
