"""Charging saved methods (Stripe off-session, Mollie recurring), their webhooks and refunds."""
