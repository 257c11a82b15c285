"""Payment accounts: where the money of payment-link invoices is deposited (seed 004)."""
