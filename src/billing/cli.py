"""The ``billing`` command line: serve, migrate, token, openapi, seed-demo, worker, and the
deployment helpers (callback URLs, encryption keys, local fake providers)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import get_settings

app = typer.Typer(help="Multi-tenant billing service.", no_args_is_help=True)


@contextmanager
def database_url() -> Iterator[str]:
    """``DATABASE_URL``, or an embedded PostgreSQL started for the command's lifetime."""
    settings = get_settings()
    if settings.database_url:
        yield settings.database_url
        return
    from billing.core.embedded import EmbeddedPostgresError, start_embedded_postgres

    try:
        url, server = start_embedded_postgres(
            settings.data_dir, notify=lambda line: typer.echo(f"billing: {line}", err=True)
        )
    except EmbeddedPostgresError as exc:
        # One line that says what to do beats pgserver's traceback and server log.
        typer.echo(f"billing: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"embedded PostgreSQL in {settings.data_dir.resolve()}", err=True)
    # Child processes (uvicorn workers, alembic) read the URL from the environment.
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        yield url
    finally:
        server.cleanup()


def alembic_config(url: str) -> Any:
    """The Alembic configuration, found beside the working directory or the source tree."""
    from alembic.config import Config

    candidates = [Path.cwd() / "alembic.ini", Path(__file__).resolve().parents[2] / "alembic.ini"]
    ini = next((path for path in candidates if path.exists()), None)
    if ini is None:
        raise typer.BadParameter("alembic.ini not found; run from the project directory")
    config = Config(str(ini))
    config.attributes["database_url"] = url
    return config


def run_migrations(url: str) -> None:
    """``alembic upgrade head`` as the connecting (owner) role."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


@app.command()
def migrate() -> None:
    """Apply every pending database migration."""
    with database_url() as url:
        run_migrations(url)
        typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes.")] = False,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Migrate before serving.")
    ] = False,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    from billing.core.logging import configure_logging

    # The app (in each worker process) builds its links from BILLING_HOST and BILLING_PORT, so
    # the options go through the environment rather than only to uvicorn.
    if host is not None:
        os.environ["BILLING_HOST"] = host
    if port is not None:
        os.environ["BILLING_PORT"] = str(port)
    get_settings.cache_clear()
    settings = get_settings()
    settings.require_production_secrets()
    configure_logging(level=settings.log_level, json=settings.log_json)
    with database_url() as url:
        if migrate_first:
            run_migrations(url)
        uvicorn.run(
            "billing.main:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            reload=reload,
            proxy_headers=True,
            log_config=None,
        )


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="Role claim.")],
    tenant: Annotated[str | None, typer.Option(help="Tenant id (tenant roles).")] = None,
    reseller: Annotated[str | None, typer.Option(help="Reseller id (reseller role).")] = None,
    sub: Annotated[str, typer.Option(help="Subject (user id).")] = "dev-user",
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 12 * 3600,
) -> None:
    """Print a development JWT signed with BILLING_JWT_SECRET."""
    if role in (Role.TENANT_OWNER, Role.TENANT_MEMBER) and not tenant:
        raise typer.BadParameter("--tenant is required for tenant roles")
    if role is Role.RESELLER and not reseller:
        raise typer.BadParameter("--reseller is required for the reseller role")
    typer.echo(
        mint_token(
            get_settings(),
            role=role,
            subject=sub,
            tenant_id=uuid.UUID(tenant) if tenant else None,
            reseller_id=uuid.UUID(reseller) if reseller else None,
            ttl_seconds=ttl,
        )
    )


@app.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the document.")] = Path(
        "openapi.json"
    ),
    check: Annotated[bool, typer.Option(help="Fail if the file is stale; write nothing.")] = False,
) -> None:
    """Write (or check) openapi.json from the application."""
    from billing.config import Settings
    from billing.main import create_app
    from billing.openapi import render_openapi, write_openapi

    # The document does not depend on the database; a placeholder URL avoids starting one.
    application = create_app(Settings(database_url="postgresql://localhost/openapi"))
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != render_openapi(application):
            typer.echo(f"{output} is stale: run `billing openapi`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{output} is up to date")
        return
    changed = write_openapi(application, output)
    typer.echo(f"{output} {'written' if changed else 'unchanged'}")


@app.command("seed-demo")
def seed_demo(
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate")] = True,
) -> None:
    """Create demo data (idempotent) and print ready-to-use tokens."""
    from billing.demo import seed

    settings = get_settings()
    with database_url() as url:
        if migrate_first:
            run_migrations(url)
        ids = asyncio.run(seed(url, settings))
    typer.echo("demo data ready")
    typer.echo(f"  tenant (Acme):      {ids.tenant_ids[0]}")
    typer.echo(f"  tenant (Globex):    {ids.tenant_ids[1]}")
    typer.echo(f"  reseller:           {ids.reseller_id}")
    tokens = {
        "admin": mint_token(settings, role=Role.ADMIN, subject="demo-admin"),
        "reseller": mint_token(
            settings, role=Role.RESELLER, subject="demo-reseller", reseller_id=ids.reseller_id
        ),
        "tenant_owner": mint_token(
            settings, role=Role.TENANT_OWNER, subject="demo-owner", tenant_id=ids.tenant_ids[0]
        ),
    }
    for name, value in tokens.items():
        typer.echo(f"  {name} token: {value}")


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs run at once.")] = 4,
) -> None:
    """Run the job worker (provider polling, sweeps) on the same PostgreSQL."""
    from billing.core.logging import configure_logging
    from billing.worker.app import create_worker_app, worker_context

    settings = get_settings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    with database_url():
        settings = get_settings()
        context = worker_context(settings)
        queue = create_worker_app(settings, context)

        async def run() -> None:
            async with queue.open_async():
                await queue.run_worker_async(concurrency=concurrency)
            await context.database.dispose()
            await context.providers.http.aclose()

        asyncio.run(run())


@app.command()
def cycle(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Bill what is due by this date (YYYY-MM-DD); default today."),
    ] = None,
) -> None:
    """Run the billing cycle once: renew due subscriptions, then collect what is due.

    The same engine as the worker's periodic run; safe beside running workers.
    """
    import json
    from datetime import date

    from billing.core.logging import configure_logging
    from billing.subscriptions.cycle import BillingDateInFuture, run_cycle
    from billing.worker.app import worker_context

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise typer.BadParameter("--as-of must be a date as YYYY-MM-DD") from None
    settings = get_settings()
    configure_logging(level=settings.log_level, json=settings.log_json)
    with database_url():
        settings = get_settings()
        context = worker_context(settings)

        async def run() -> dict[str, Any]:
            try:
                report = await run_cycle(context.cycle(), as_of=day)
            finally:
                await context.database.dispose()
                await context.providers.http.aclose()
            return {
                "as_of": report.as_of.isoformat(),
                "periods_advanced": report.periods_advanced,
                "subscriptions_advanced": report.subscriptions_advanced,
                "collection_steps": report.collection_steps,
                "errors": report.errors,
            }

        try:
            summary = asyncio.run(run())
        except BillingDateInFuture as exc:
            typer.echo(f"billing: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(json.dumps(summary))
    if summary["errors"]:
        raise typer.Exit(1)


@app.command("callback-urls")
def callback_urls(
    base_url: Annotated[
        str | None,
        typer.Option(help="Public base URL (default: BILLING_PUBLIC_BASE_URL)."),
    ] = None,
) -> None:
    """Print the provider callback URLs to register, each with its secret token."""
    from billing.payments.callback_urls import all_callback_urls

    settings = get_settings()
    base = (base_url or settings.public_base_url).rstrip("/")
    for name, url in all_callback_urls(base, settings).items():
        typer.echo(f"{name:<34} {url}")


@app.command("generate-key")
def generate_key() -> None:
    """Print a new encryption key for BILLING_ENCRYPTION_KEYS (prepend it to rotate)."""
    from billing.core.crypto import generate_key as new_key

    typer.echo(new_key())


DEV_PORTS = {"daraja": 8101, "pesapal": 8102, "stripe": 8103, "mollie": 8104}


@app.command("dev-providers")
def dev_providers() -> None:
    """Run local fake M-Pesa, Pesapal, Stripe and Mollie servers and print their settings."""
    from billing.fakes.daraja import SANDBOX_PASSKEY, SANDBOX_SHORTCODE, create_daraja_app
    from billing.fakes.mollie import create_mollie_app
    from billing.fakes.pesapal import create_pesapal_app
    from billing.fakes.server import FakeServer, run_forever
    from billing.fakes.stripe import create_stripe_app

    servers = [
        FakeServer(create_daraja_app(), port=DEV_PORTS["daraja"], name="daraja"),
        FakeServer(create_pesapal_app(), port=DEV_PORTS["pesapal"], name="pesapal"),
        FakeServer(create_stripe_app(), port=DEV_PORTS["stripe"], name="stripe"),
        FakeServer(create_mollie_app(), port=DEV_PORTS["mollie"], name="mollie"),
    ]
    base = "http://127.0.0.1"
    typer.echo("Fake providers; export these before `make run` (or `billing serve`):")
    for line in (
        f"BILLING_MPESA_BASE_URL={base}:{DEV_PORTS['daraja']}",
        "BILLING_MPESA_CONSUMER_KEY=fake-daraja-consumer-key",
        "BILLING_MPESA_CONSUMER_SECRET=fake-daraja-consumer-secret",
        f"BILLING_MPESA_SHORTCODE={SANDBOX_SHORTCODE}",
        f"BILLING_MPESA_PASSKEY={SANDBOX_PASSKEY}",
        f"BILLING_PESAPAL_BASE_URL={base}:{DEV_PORTS['pesapal']}",
        "BILLING_PESAPAL_CONSUMER_KEY=fake-pesapal-consumer-key",
        "BILLING_PESAPAL_CONSUMER_SECRET=fake-pesapal-consumer-secret",
        f"BILLING_STRIPE_API_BASE={base}:{DEV_PORTS['stripe']}",
        "BILLING_STRIPE_SECRET_KEY=sk_test_fake",
        f"BILLING_MOLLIE_API_BASE={base}:{DEV_PORTS['mollie']}",
        "BILLING_MOLLIE_API_KEY=test_fake",
    ):
        typer.echo(f"  export {line}")
    run_forever(servers)


if __name__ == "__main__":
    app()
