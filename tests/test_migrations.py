"""Migrations match the models and round-trip."""

from __future__ import annotations

import uuid

import pytest
from alembic import command

from billing.cli import alembic_config, run_migrations
from tests.fixtures.database import drop_database, recreate_database

pytestmark = pytest.mark.slow


def test_models_and_migrations_agree_and_round_trip(server_url: str) -> None:
    name = f"billing_migrations_{uuid.uuid4().hex[:8]}"
    url = recreate_database(server_url, name)
    try:
        run_migrations(url)
        config = alembic_config(url)
        command.check(config)  # raises when autogenerate would find a difference
        command.downgrade(config, "base")
        command.upgrade(config, "head")
        command.check(config)
    finally:
        drop_database(server_url, name)
