"""Recurring prices of the catalog's products (what subscriptions are made of)."""
