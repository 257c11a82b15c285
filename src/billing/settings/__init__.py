"""Operator settings: the seller identity, defaults, numbering and payment-method switches."""
