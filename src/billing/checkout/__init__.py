"""Checkout with payment providers: initiating payments, callbacks, settlement."""
