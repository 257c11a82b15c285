"""Tenants: the companies the operator bills."""
