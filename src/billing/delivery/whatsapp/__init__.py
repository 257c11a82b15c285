"""WhatsApp as a messaging plugin, in the payment providers' contract style: a documented ABC,
a closed registry, stateless instances built from deployment configuration per use."""
