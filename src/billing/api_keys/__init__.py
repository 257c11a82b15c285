"""API keys for server-to-server callers: issued by admins, shown once, stored hashed."""
