"""The fake providers' settings in development: written by ``billing dev-providers``, read by
``billing serve``, ``billing worker`` and ``billing seed-demo`` (so ``make run``).

``billing dev-providers`` runs fake Daraja, Pesapal, Stripe, Mollie and WhatsApp Cloud API
servers and a mail catcher (SMTP, with a page listing what it received) on fixed local ports
and writes every variable the app needs to use them to :data:`DEV_PROVIDERS_ENV` in the
working directory; it removes the file when it stops. The other commands load that file with
python-dotenv, only when ``BILLING_ENVIRONMENT`` is ``development`` (the default), and never
over a variable already set in the environment, so an explicit export always wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import load_dotenv

DEV_PROVIDERS_ENV = Path(".dev-providers.env")
"""Where ``billing dev-providers`` writes the fakes' settings (git-ignored)."""

DEV_PORTS = {
    "daraja": 8101,
    "pesapal": 8102,
    "stripe": 8103,
    "mollie": 8104,
    "smtp": 8105,
    "mail": 8106,
    "whatsapp": 8107,
}
"""Local ports of the fake providers, the mail catcher's SMTP server and its web page."""

FAKE_WHATSAPP_TOKEN = "fake-whatsapp-token"
FAKE_WHATSAPP_PHONE_ID = "106540352242922"
"""What the fake WhatsApp Cloud API accepts by default."""

FAKE_HOST = "127.0.0.1"


def provider_variables(*, mpesa_shortcode: str, mpesa_passkey: str) -> dict[str, str]:
    """Every ``BILLING_*`` variable the four payment providers, WhatsApp and e-mail need to
    work against the fakes and the mail catcher.

    The credentials are the ones the fakes accept by default. M-Pesa has an initiator, so C2B
    payments are confirmed through the Transaction Status API rather than held; Stripe has
    both keys (setup answers 503 without the publishable one) and a webhook secret for
    deliveries the fake signs.
    """
    base = f"http://{FAKE_HOST}"
    return {
        "BILLING_MPESA_BASE_URL": f"{base}:{DEV_PORTS['daraja']}",
        "BILLING_MPESA_CONSUMER_KEY": "fake-daraja-consumer-key",
        "BILLING_MPESA_CONSUMER_SECRET": "fake-daraja-consumer-secret",
        "BILLING_MPESA_SHORTCODE": mpesa_shortcode,
        "BILLING_MPESA_PASSKEY": mpesa_passkey,
        "BILLING_MPESA_INITIATOR_NAME": "testapi",
        "BILLING_MPESA_SECURITY_CREDENTIAL": "fake-security-credential",
        "BILLING_PESAPAL_BASE_URL": f"{base}:{DEV_PORTS['pesapal']}",
        "BILLING_PESAPAL_CONSUMER_KEY": "fake-pesapal-consumer-key",
        "BILLING_PESAPAL_CONSUMER_SECRET": "fake-pesapal-consumer-secret",
        "BILLING_STRIPE_API_BASE": f"{base}:{DEV_PORTS['stripe']}",
        "BILLING_STRIPE_SECRET_KEY": "sk_test_fake",
        "BILLING_STRIPE_PUBLISHABLE_KEY": "pk_test_fake",
        "BILLING_STRIPE_WEBHOOK_SECRETS": "whsec_fake_development_secret",
        "BILLING_MOLLIE_API_BASE": f"{base}:{DEV_PORTS['mollie']}",
        "BILLING_MOLLIE_API_KEY": "test_fake",
        # The catcher speaks plain SMTP: no STARTTLS to wait for.
        "BILLING_SMTP_URL": f"smtp://{FAKE_HOST}:{DEV_PORTS['smtp']}?starttls=false",
        "BILLING_WHATSAPP_PROVIDER": "cloud",
        "BILLING_WHATSAPP_BASE_URL": f"{base}:{DEV_PORTS['whatsapp']}",
        "BILLING_WHATSAPP_TOKEN": FAKE_WHATSAPP_TOKEN,
        "BILLING_WHATSAPP_SENDER_ID": FAKE_WHATSAPP_PHONE_ID,
    }


def render_env(variables: Mapping[str, str]) -> str:
    """``NAME=value`` lines (the values need no quoting: no spaces, quotes or ``$``)."""
    header = (
        "# Written by `billing dev-providers` while the fake providers run; removed when they\n"
        "# stop. `billing serve`, `billing worker` and `billing seed-demo` read it in\n"
        "# development, without overriding variables already set.\n"
    )
    return header + "".join(f"{name}={value}\n" for name, value in variables.items())


def write_env(path: Path, variables: Mapping[str, str]) -> None:
    """Write ``variables`` to ``path`` (readable by its owner only: it holds credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(render_env(variables), encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)


def remove_env(path: Path, variables: Mapping[str, str]) -> None:
    """Remove ``path`` if it still holds exactly what this process wrote."""
    try:
        if path.read_text(encoding="utf-8") == render_env(variables):
            path.unlink()
    except FileNotFoundError:
        pass


def load_dev_providers_env(path: Path = DEV_PROVIDERS_ENV) -> bool:
    """In development, load the fakes' settings without overriding the environment.

    Returns True when the file was read. ``BILLING_ENVIRONMENT`` is read before the file, so
    the file cannot switch a production or test process to the fakes.
    """
    if os.environ.get("BILLING_ENVIRONMENT", "development") != "development":
        return False
    if not path.is_file():
        return False
    load_dotenv(path, override=False)
    return True
