"""Authentication (JWT and API keys) and authorisation (roles, permissions, scopes)."""
