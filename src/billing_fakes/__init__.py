"""Fake payment providers: real HTTP servers speaking the providers' protocols, for tests and dev.

Each fake is a Starlette app factory keeping its state in memory (``app.state.fake``) with
control endpoints under ``/__control``. :class:`FakeServer` runs any of them, or a
:class:`CallbackRecorder` standing in for our webhook routes, on a local port:

    with FakeServer(create_daraja_app(), name="daraja") as daraja:
        config = MpesaConfig(base_url=daraja.base_url, ...)

A development command runs several on fixed ports until interrupted:

    run_forever([
        FakeServer(create_daraja_app(), port=8801, name="daraja"),
        FakeServer(create_pesapal_app(), port=8802, name="pesapal"),
    ])
"""

from billing_fakes.daraja import DarajaFakeSettings, StkScenario, create_daraja_app
from billing_fakes.pesapal import PesapalFakeSettings, create_pesapal_app
from billing_fakes.server import CallbackRecorder, FakeServer, ReceivedRequest, run_forever

__all__ = [
    "CallbackRecorder",
    "DarajaFakeSettings",
    "FakeServer",
    "PesapalFakeSettings",
    "ReceivedRequest",
    "StkScenario",
    "create_daraja_app",
    "create_pesapal_app",
    "run_forever",
]
