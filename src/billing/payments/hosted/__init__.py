"""The hosted payment page: what an invoice's public page offers, and the public routes its
script calls to start a payment and follow it until it settles."""
