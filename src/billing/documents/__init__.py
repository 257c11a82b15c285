"""Invoice documents: downloads (PDF and e-invoices), their storage, and the public page."""
