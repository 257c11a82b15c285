"""Background jobs on procrastinate (PostgreSQL-backed queue)."""
