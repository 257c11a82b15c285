"""Saved payment methods and the provider catalogue (seed 002)."""
