"""Resellers: operator partners that manage a subtree of tenants."""
