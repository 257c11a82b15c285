"""E-mail: the operator's messages to tenants (invoices, reminders, payment links) composed
from Jinja2 templates in the billing profile's language and sent over SMTP (aiosmtplib)."""
