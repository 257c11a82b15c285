"""Moving the service clock in tests (``POST /api/v1/test/clock``); see ``billing.core.clock``."""
