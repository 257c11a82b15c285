"""Charging saved methods off-session (Stripe, Mollie recurring)."""
