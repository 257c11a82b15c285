"""Payment-link invoices (seed 004): created server to server with the merchant's transaction
id, paid on the hosted page behind ``paymentLinkUrl``, refused after ``expiryAt``."""
