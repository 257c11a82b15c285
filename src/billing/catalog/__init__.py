"""The operator's catalog: tax rates and products, shared by every tenant's invoices."""
