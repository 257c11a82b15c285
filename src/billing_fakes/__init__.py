"""Fake providers: real HTTP servers speaking the payment and WhatsApp providers' protocols.

For development and tests only: this package sits beside ``billing`` in a source checkout and
the wheel does not ship it (``billing`` imports it nowhere but in ``billing dev-providers``).

Each fake (Daraja, Pesapal, Stripe, Mollie, the WhatsApp Cloud API, Ultramsg) is a
:class:`billing_fakes.base.FakeProvider` keeping one account in memory (``app.state.fake``),
with control endpoints under ``/__control`` to script outcomes, inject faults and read what it
received and sent.
:class:`FakeServer` runs any of them, or a :class:`CallbackRecorder` standing in for our
webhook routes, on a local port:

    with FakeServer(create_daraja_app(), name="daraja") as daraja:
        config = MpesaConfig(base_url=daraja.base_url, ...)

A development command runs several on fixed ports until interrupted:

    run_forever([
        FakeServer(create_daraja_app(), port=8801, name="daraja"),
        FakeServer(create_pesapal_app(), port=8802, name="pesapal"),
    ])
"""

from billing_fakes.daraja import DarajaFakeSettings, StkScenario, create_daraja_app
from billing_fakes.mollie import create_mollie_app
from billing_fakes.pesapal import PesapalFakeSettings, create_pesapal_app
from billing_fakes.server import CallbackRecorder, FakeServer, ReceivedRequest, run_forever
from billing_fakes.stripe import create_stripe_app
from billing_fakes.ultramsg import create_ultramsg_app
from billing_fakes.whatsapp_cloud import create_whatsapp_cloud_app

__all__ = [
    "CallbackRecorder",
    "DarajaFakeSettings",
    "FakeServer",
    "PesapalFakeSettings",
    "ReceivedRequest",
    "StkScenario",
    "create_daraja_app",
    "create_mollie_app",
    "create_pesapal_app",
    "create_stripe_app",
    "create_ultramsg_app",
    "create_whatsapp_cloud_app",
    "run_forever",
]
