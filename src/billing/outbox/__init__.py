"""The delivery outbox's write side: a message (e-mail, WhatsApp, webhook event) is a row
written in the transaction of the change that caused it, with its job deferred in that same
transaction, so a rolled-back change sends nothing and a committed one is sent after commit.

Sending, reading and managing deliveries is ``billing.delivery``; this package sits below the
domains that cause messages (invoices, payments) so each can emit an event in one call."""
