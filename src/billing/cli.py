"""The ``billing`` command line: serve, migrate, token, openapi, seed-demo, worker, and the
deployment helpers (callback URLs, encryption keys, local fake providers)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from billing.auth.principal import Role
from billing.auth.tokens import mint_token
from billing.config import Settings, get_settings
from billing.devenv import DEV_PORTS, provider_variables

app = typer.Typer(help="Multi-tenant billing service.", no_args_is_help=True)


def development_env() -> None:
    """Read the fake providers' settings (``billing dev-providers``) in development."""
    from billing.devenv import DEV_PROVIDERS_ENV, load_dev_providers_env

    if load_dev_providers_env():
        typer.echo(f"billing: fake providers configured from {DEV_PROVIDERS_ENV}", err=True)
        get_settings.cache_clear()


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
    """Serve the API with uvicorn (in development with the job worker in the process)."""
    import uvicorn

    from billing.core.logging import configure_logging

    development_env()
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
        check_connection_budget(url, settings, workers)
        uvicorn.run(
            "billing.main:create_served_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            reload=reload,
            proxy_headers=True,
            log_config=None,
        )


def check_connection_budget(url: str, settings: Settings, workers: int) -> None:
    """Refuse to start when the processes' pools could exceed the server's connections.

    Every worker process may open ``pool_size + max_overflow`` connections; together they must
    fit ``max_connections`` minus the superuser reserve and ``BILLING_DB_RESERVED_CONNECTIONS``
    (job workers, migrations, operators). A server that runs out of connections stalls every
    request; a refusal at startup names the numbers to change.
    """
    import psycopg

    from billing.core.db import libpq_database_url

    with psycopg.connect(libpq_database_url(url)) as connection:

        def setting(name: str) -> int:
            row = connection.execute(f"SHOW {name}").fetchone()
            return int(row[0]) if row else 0

        maximum = setting("max_connections")
        reserved = setting("superuser_reserved_connections")
    per_process = settings.db_pool_size + settings.db_max_overflow
    needed = workers * per_process
    available = maximum - reserved - settings.db_reserved_connections
    if needed > available:
        typer.echo(
            f"{workers} worker(s) x {per_process} connections (BILLING_DB_POOL_SIZE + "
            f"BILLING_DB_MAX_OVERFLOW) = {needed} exceed the {available} the server allows "
            f"(max_connections {maximum} - reserved {reserved} - BILLING_DB_RESERVED_CONNECTIONS "
            f"{settings.db_reserved_connections}). Lower the pools or the workers, or put "
            "PgBouncer in front.",
            err=True,
        )
        raise typer.Exit(2)


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
    from billing.core.logging import configure_logging
    from billing.demo import DemoError, seed

    development_env()
    settings = get_settings()
    # The demo goes through the API in process; its request log lines are no news here.
    configure_logging(level="WARNING", json=settings.log_json)
    with database_url() as url:
        if migrate_first:
            run_migrations(url)
        try:
            demo = asyncio.run(seed(url, settings))
        except DemoError as exc:
            typer.echo(f"billing: the demo could not be seeded: {exc}", err=True)
            raise typer.Exit(1) from None
    base = settings.public_base_url
    created = f"{demo.created} invoices created" if demo.created else "already complete"
    typer.echo(f"demo data ready ({created})")
    typer.echo(f"  API explorer:       {base}/docs")
    typer.echo(f"  tenant (Acme):      {demo.tenant_ids[0]}")
    typer.echo(f"  tenant (Globex):    {demo.tenant_ids[1]}")
    typer.echo(f"  reseller:           {demo.reseller_id}")
    typer.echo(f"  payment methods:    {', '.join(demo.enabled_methods)}")
    typer.echo("  invoices:")
    for invoice in demo.invoices:
        number = invoice["invoice_number"] or "(draft)"
        typer.echo(
            f"    {number:<20} {invoice['status']:<9} {invoice['payment_status']:<8} "
            f"{invoice['currency']} {invoice['total_amount']:>10} due {invoice['balance']:>10}"
            f"  {invoice['notes']}"
        )
    shown = next(
        (invoice for invoice in demo.invoices if invoice["status"] == "overdue"),
        demo.invoices[0],
    )
    typer.echo(f"  public invoice page: {shown['public_url']}")
    tokens = {
        "admin": mint_token(settings, role=Role.ADMIN, subject="demo-admin"),
        "reseller": mint_token(
            settings, role=Role.RESELLER, subject="demo-reseller", reseller_id=demo.reseller_id
        ),
        "tenant_owner (Acme)": mint_token(
            settings, role=Role.TENANT_OWNER, subject="demo-owner", tenant_id=demo.tenant_ids[0]
        ),
        "tenant_owner (Globex)": mint_token(
            settings, role=Role.TENANT_OWNER, subject="demo-owner", tenant_id=demo.tenant_ids[1]
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

    development_env()
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


def serve_fakes(
    servers: list[Any], variables: dict[str, str], run_forever: Callable[[list[Any]], None]
) -> None:
    """Write the fakes' settings where ``make run`` reads them, print them, serve until Ctrl-C
    and remove the file again."""
    import socket

    from billing.devenv import DEV_PROVIDERS_ENV, FAKE_HOST, remove_env, write_env

    # Refuse before writing anything: a second copy must not take over (then remove) the file
    # of the one already running.
    for name, port in DEV_PORTS.items():
        with socket.socket() as probe:
            # As the servers bind: connections of an earlier run in TIME_WAIT do not count.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((FAKE_HOST, port))
            except OSError:
                typer.echo(
                    f"billing: port {port} ({name}) is in use; "
                    "is `billing dev-providers` already running?",
                    err=True,
                )
                raise typer.Exit(1) from None
    write_env(DEV_PROVIDERS_ENV, variables)
    settings = get_settings()
    ports = ", ".join(f"{name} on {FAKE_HOST}:{port}" for name, port in DEV_PORTS.items())
    typer.echo(f"Fake providers: {ports}.")
    typer.echo(f"Mail the app sends is listed at http://{FAKE_HOST}:{DEV_PORTS['mail']}/")
    typer.echo(
        f"Their settings are in {DEV_PROVIDERS_ENV}: `make run` (billing serve, worker, "
        "seed-demo) reads it in development. Elsewhere, export them:"
    )
    for name, value in variables.items():
        typer.echo(f"  export {name}={value}")
    typer.echo(
        f"The fakes call back at the app's public base URL, {settings.public_base_url} "
        "(BILLING_PUBLIC_BASE_URL, else BILLING_HOST and BILLING_PORT). Ctrl-C stops them."
    )
    try:
        run_forever(servers)
    finally:
        remove_env(DEV_PROVIDERS_ENV, variables)


@app.command("dev-providers")
def dev_providers() -> None:
    """Run local fake M-Pesa, Pesapal, Stripe, Mollie and WhatsApp servers and a mail catcher
    (SMTP and a page listing the mail received), and print their settings.

    The fakes live in the ``billing_fakes`` package of a source checkout, beside ``billing``;
    the wheel does not ship them.
    """
    try:
        from billing_fakes.daraja import SANDBOX_PASSKEY, SANDBOX_SHORTCODE, create_daraja_app
        from billing_fakes.mailcatcher import MailCatcher
        from billing_fakes.mollie import create_mollie_app
        from billing_fakes.pesapal import create_pesapal_app
        from billing_fakes.server import FakeServer, run_forever
        from billing_fakes.stripe import create_stripe_app
        from billing_fakes.whatsapp_cloud import create_whatsapp_cloud_app
    except ModuleNotFoundError as exc:
        if exc.name != "billing_fakes":
            raise
        typer.echo(
            "billing: the fake providers come with a source checkout "
            "(`pip install -e .[dev]` there); an installed billing does not ship them",
            err=True,
        )
        raise typer.Exit(1) from None

    catcher = MailCatcher()
    servers = [
        FakeServer(create_daraja_app(), port=DEV_PORTS["daraja"], name="daraja"),
        FakeServer(create_pesapal_app(), port=DEV_PORTS["pesapal"], name="pesapal"),
        FakeServer(create_stripe_app(), port=DEV_PORTS["stripe"], name="stripe"),
        FakeServer(create_mollie_app(), port=DEV_PORTS["mollie"], name="mollie"),
        FakeServer(create_whatsapp_cloud_app(), port=DEV_PORTS["whatsapp"], name="whatsapp"),
        catcher.smtp(port=DEV_PORTS["smtp"]),
        FakeServer(catcher.app, port=DEV_PORTS["mail"], name="mail"),
    ]
    variables = provider_variables(mpesa_shortcode=SANDBOX_SHORTCODE, mpesa_passkey=SANDBOX_PASSKEY)
    serve_fakes(servers, variables, run_forever)


if __name__ == "__main__":
    app()
