"""Delivery: sending the outbox (e-mail, WhatsApp, signed webhooks), reading it, the operator's
webhook endpoints, invoice sending routes and payment reminders."""
