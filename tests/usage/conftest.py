"""Usage tests run like the subscription tests: a database per module (the billing cycle they
drive renews every due subscription it finds), the real app over HTTP, the real cycle."""

from __future__ import annotations

from tests.subscriptions.conftest import (
    billing,
    clock_back,
    cycle_context,
    http,
    subs_app,
    subs_database,
    subs_database_url,
    subs_settings,
)

__all__ = [
    "billing",
    "clock_back",
    "cycle_context",
    "http",
    "subs_app",
    "subs_database",
    "subs_database_url",
    "subs_settings",
]
