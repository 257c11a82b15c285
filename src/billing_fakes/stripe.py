"""A fake Stripe API: a Starlette app that speaks enough of Stripe's REST protocol for our plugin.

It keeps customers, SetupIntents, PaymentMethods, PaymentIntents, charges, refunds and events in
memory (one state per app), answers with bodies shaped like Stripe's own fixtures, honours the
``Idempotency-Key`` header like Stripe does, and can deliver signed webhooks.

Test payment methods follow Stripe's test tokens: pass one as ``payment_method`` and the fake
creates a PaymentMethod that behaves like the matching test card:

=====================================  ===========================================
``pm_card_visa``, ``pm_card_mastercard``  charges succeed
``pm_card_authenticationRequired``     off-session charges fail with 402 ``authentication_required``
``pm_card_chargeDeclined``             charges fail with 402 ``card_declined`` (generic_decline)
``pm_card_chargeDeclinedInsufficientFunds``  402 ``card_declined`` (insufficient_funds)
``pm_sepa_debit``                      charges stay ``processing`` until settled by control
=====================================  ===========================================

Control endpoints (no authentication; under ``/__control``):

* ``POST /__control/setup_intents/{id}/confirm`` JSON ``{"payment_method": "pm_card_visa",
  "outcome": "succeeded" | "failed" | "processing"}``: what Stripe.js would do in the browser.
* ``POST /__control/payment_intents/{id}/confirm`` JSON ``{"payment_method": "pm_card_visa"}``:
  what Stripe.js does when the payer submits the Payment Element (the test method decides the
  outcome; a decline leaves the intent ``requires_payment_method`` with its error).
* ``POST /__control/payment_intents/{id}/settle`` JSON ``{"outcome": "succeeded" | "failed"}``:
  finish a ``processing`` (SEPA) PaymentIntent.
* ``POST /__control/webhooks/deliver`` JSON ``{"url": ..., "secrets": ["whsec_..."],
  "events": ["evt_...", {"type": "payment_intent.succeeded", "object_id": "pi_..."}],
  "repeat": 1, "timestamp": null}``: sign each event with every secret (one ``v1`` each) and POST
  it to ``url``, in the given order, the whole sequence ``repeat`` times. Answers the delivery
  results.

Plus the control endpoints every fake answers (:mod:`billing_fakes.base`): ``requests``,
``deliveries``, ``faults``, ``settings`` (``secret_key``, ``leak_keys_in_errors``) and ``reset``
(every object, request, delivery and idempotency key).

:func:`create_stripe_app` builds the app; :func:`stripe_state` gives tests the state behind it.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from billing_fakes.base import (
    Answer,
    FakeError,
    FakeProvider,
    Handler,
    Outgoing,
    bearer_token,
    control_json,
    text_or_none,
)
from billing_fakes.server import ReceivedRequest

__all__ = [
    "TEST_METHODS",
    "FakeStripeState",
    "MethodBehaviour",
    "StripeFakeSettings",
    "create_stripe_app",
    "sign_payload",
    "stripe_state",
]

API_VERSION = "2023-08-16"  # the version of the fixture shapes the bodies follow
_ALPHABET = string.ascii_letters + string.digits
# Currencies Stripe does not offer (sanctioned or withdrawn); the rest of ISO is accepted.
_UNSUPPORTED_CURRENCIES = frozenset({"irr", "kpw", "syp", "cup", "sdg", "ves", "ved", "xxx"})
_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
_WHOLE_HUNDREDS = frozenset({"isk"})


@dataclass(frozen=True, slots=True)
class MethodBehaviour:
    """How a test PaymentMethod token behaves."""

    type: str
    brand: str | None
    last4: str
    outcome: str  # succeeded | authentication_required | declined | processing
    decline_code: str | None = None


TEST_METHODS: Mapping[str, MethodBehaviour] = {
    "pm_card_visa": MethodBehaviour("card", "visa", "4242", "succeeded"),
    "pm_card_mastercard": MethodBehaviour("card", "mastercard", "4444", "succeeded"),
    "pm_card_authenticationRequired": MethodBehaviour(
        "card", "visa", "3184", "authentication_required", "authentication_required"
    ),
    "pm_card_chargeDeclined": MethodBehaviour(
        "card", "visa", "0002", "declined", "generic_decline"
    ),
    "pm_card_chargeDeclinedInsufficientFunds": MethodBehaviour(
        "card", "visa", "9995", "declined", "insufficient_funds"
    ),
    "pm_sepa_debit": MethodBehaviour("sepa_debit", None, "3000", "processing"),
}


@dataclass(slots=True)
class StripeFakeSettings:
    """The key the fake accepts and how it refuses others."""

    secret_key: str | None = "sk_test_fake"  # None: any key is accepted
    leak_keys_in_errors: bool = False  # echo a wrong key in full (Stripe masks it)


Operation = Callable[[Request, dict[str, Any], str | None], dict[str, Any]]
"""An API operation: the request, its parameters and idempotency key to the object answered."""


class _StripeError(FakeError):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        error: dict[str, Any] = {"type": type_, "message": message}
        if code:
            error["code"] = code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{code}"
        if param:
            error["param"] = param
        if extra:
            error.update(extra)
        super().__init__(status, {"error": error})


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def _now() -> int:
    return int(time.time())


def _missing(kind: str, object_id: str, param: str = "id") -> _StripeError:
    return _StripeError(
        404 if param == "id" else 400,
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def _lookup(
    table: dict[str, dict[str, Any]], kind: str, object_id: str, param: str = "id"
) -> dict[str, Any]:
    """``table[object_id]``, or Stripe's "No such ..." error naming ``param``."""
    found = table.get(object_id)
    if found is None:
        raise _missing(kind, object_id, param)
    return found


def _truthy(value: object) -> bool:
    return value in (True, "true", "True", "1")


class _Handlers:
    """The API operations; each runs under the state lock and returns (status, body)."""

    def __init__(self, state: FakeStripeState) -> None:
        self.state = state

    # -- events -----------------------------------------------------------------------------

    def emit(
        self,
        event_type: str,
        obj: Mapping[str, Any],
        *,
        previous: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"object": copy.deepcopy(dict(obj))}
        if previous is not None:
            data["previous_attributes"] = dict(previous)
        event: dict[str, Any] = {
            "api_version": API_VERSION,
            "created": _now(),
            "data": data,
            "id": _new_id("evt_"),
            "livemode": False,
            "object": "event",
            "pending_webhooks": 1,
            "request": {"id": _new_id("req_"), "idempotency_key": idempotency_key},
            "type": event_type,
        }
        self.state.events[event["id"]] = event
        return event

    # -- customers --------------------------------------------------------------------------

    def create_customer(self, params: Mapping[str, Any]) -> dict[str, Any]:
        customer: dict[str, Any] = {
            "address": None,
            "balance": 0,
            "created": _now(),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": params.get("description"),
            "discount": None,
            "email": params.get("email"),
            "id": _new_id("cus_"),
            "invoice_prefix": secrets.token_hex(4).upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": dict(params.get("metadata") or {}),
            "name": params.get("name"),
            "next_invoice_sequence": 1,
            "object": "customer",
            "phone": params.get("phone"),
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
        self.state.customers[customer["id"]] = customer
        self.emit("customer.created", customer)
        return customer

    def get_customer(self, customer_id: str) -> dict[str, Any]:
        return _lookup(self.state.customers, "customer", customer_id)

    # -- payment methods --------------------------------------------------------------------

    def resolve_method(self, ref: str, customer_id: str | None) -> dict[str, Any]:
        """A stored PaymentMethod, or a new one made from a test token."""
        if ref in self.state.payment_methods:
            return self.state.payment_methods[ref]
        behaviour = TEST_METHODS.get(ref)
        if behaviour is None:
            raise _missing("PaymentMethod", ref, param="payment_method")
        method: dict[str, Any] = {
            "billing_details": {
                "address": {
                    "city": None,
                    "country": None,
                    "line1": None,
                    "line2": None,
                    "postal_code": None,
                    "state": None,
                },
                "email": None,
                "name": None,
                "phone": None,
            },
            "created": _now(),
            "customer": None,
            "id": _new_id("pm_"),
            "livemode": False,
            "metadata": {},
            "object": "payment_method",
            "type": behaviour.type,
        }
        if behaviour.type == "card":
            method["card"] = {
                "brand": behaviour.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "pass",
                },
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "fingerprint": secrets.token_hex(8),
                "funding": "credit",
                "generated_from": None,
                "last4": behaviour.last4,
                "networks": {"available": [behaviour.brand], "preferred": None},
                "three_d_secure_usage": {"supported": True},
                "wallet": None,
            }
        else:
            method["sepa_debit"] = {
                "bank_code": "37040044",
                "branch_code": "",
                "country": "DE",
                "fingerprint": secrets.token_hex(8),
                "generated_from": {"charge": None, "setup_attempt": None},
                "last4": behaviour.last4,
            }
        self.state.payment_methods[method["id"]] = method
        self.state.method_behaviour[method["id"]] = behaviour
        if customer_id is not None:
            self.attach(method, customer_id)
        return method

    def attach(self, method: dict[str, Any], customer_id: str) -> None:
        if method["customer"] != customer_id:
            method["customer"] = customer_id
            self.emit("payment_method.attached", method)

    def get_method(self, method_id: str) -> dict[str, Any]:
        return _lookup(self.state.payment_methods, "PaymentMethod", method_id)

    def detach_method(self, method_id: str) -> dict[str, Any]:
        method = self.get_method(method_id)
        if method["customer"] is None:
            raise _StripeError(
                400,
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
            )
        previous = {"customer": method["customer"]}
        method["customer"] = None
        self.emit("payment_method.detached", method, previous=previous)
        return method

    # -- setup intents ----------------------------------------------------------------------

    def create_setup_intent(self, params: Mapping[str, Any]) -> dict[str, Any]:
        customer_id = params.get("customer")
        if customer_id is not None and customer_id not in self.state.customers:
            raise _missing("customer", str(customer_id), param="customer")
        intent_id = _new_id("seti_")
        intent: dict[str, Any] = {
            "application": None,
            "automatic_payment_methods": params.get("automatic_payment_methods"),
            "cancellation_reason": None,
            "client_secret": f"{intent_id}_secret_{_new_id('')}",
            "created": _now(),
            "customer": customer_id,
            "description": params.get("description"),
            "flow_directions": None,
            "id": intent_id,
            "last_setup_error": None,
            "latest_attempt": None,
            "livemode": False,
            "mandate": None,
            "metadata": dict(params.get("metadata") or {}),
            "next_action": None,
            "object": "setup_intent",
            "on_behalf_of": None,
            "payment_method": None,
            "payment_method_options": {},
            "payment_method_types": list(params.get("payment_method_types") or ["card"]),
            "single_use_mandate": None,
            "status": "requires_payment_method",
            "usage": params.get("usage", "off_session"),
        }
        self.state.setup_intents[intent_id] = intent
        self.emit("setup_intent.created", intent)
        if params.get("payment_method") and _truthy(params.get("confirm")):
            return self.confirm_setup_intent(intent_id, str(params["payment_method"]), None)
        return intent

    def get_setup_intent(self, intent_id: str) -> dict[str, Any]:
        return _lookup(self.state.setup_intents, "setup_intent", intent_id)

    def confirm_setup_intent(
        self, intent_id: str, method_ref: str, outcome: str | None
    ) -> dict[str, Any]:
        intent = self.get_setup_intent(intent_id)
        if intent["status"] == "succeeded":
            raise _StripeError(
                400,
                "You cannot confirm this SetupIntent because it has already succeeded.",
                code="setup_intent_unexpected_state",
            )
        method = self.resolve_method(method_ref, None)
        if method["type"] not in intent["payment_method_types"]:
            raise _StripeError(
                400,
                f"The PaymentMethod type {method['type']} is not allowed for this SetupIntent.",
                param="payment_method",
            )
        intent["payment_method"] = method["id"]
        if outcome == "failed":
            intent["status"] = "requires_payment_method"
            intent["last_setup_error"] = {
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "type": "card_error",
            }
            intent["payment_method"] = None
            self.emit("setup_intent.setup_failed", intent)
            return intent
        if intent["customer"]:
            self.attach(method, intent["customer"])
        if outcome == "processing":
            intent["status"] = "processing"
            self.emit("setup_intent.processing", intent)
            return intent
        intent["status"] = "succeeded"
        intent["last_setup_error"] = None
        self.emit("setup_intent.succeeded", intent)
        return intent

    # -- payment intents ----------------------------------------------------------------------

    def create_payment_intent(
        self, params: Mapping[str, Any], idempotency_key: str | None
    ) -> dict[str, Any]:
        amount = _parse_amount(params.get("amount"))
        currency = _parse_currency(params.get("currency"), amount)
        customer_id = params.get("customer")
        if customer_id is not None and customer_id not in self.state.customers:
            raise _missing("customer", str(customer_id), param="customer")
        off_session = _truthy(params.get("off_session"))
        confirm = _truthy(params.get("confirm"))
        if off_session and not confirm:
            raise _StripeError(
                400,
                "off_session can only be used when confirm=true.",
                param="off_session",
            )
        method: dict[str, Any] | None = None
        if params.get("payment_method"):
            method = self.resolve_method(str(params["payment_method"]), customer_id)
            if customer_id is not None and method["customer"] != customer_id:
                raise _StripeError(
                    400,
                    f"The provided PaymentMethod {method['id']} does not belong to the "
                    f"Customer {customer_id}.",
                    param="payment_method",
                )
        if confirm and method is None:
            raise _StripeError(
                400,
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                code="payment_intent_unexpected_state",
            )
        intent_id = _new_id("pi_")
        intent: dict[str, Any] = {
            "amount": amount,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": params.get("automatic_payment_methods"),
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": f"{intent_id}_secret_{_new_id('')}",
            "confirmation_method": "automatic",
            "created": _now(),
            "currency": currency,
            "customer": customer_id,
            "description": params.get("description"),
            "id": intent_id,
            "invoice": None,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": dict(params.get("metadata") or {}),
            "next_action": None,
            "object": "payment_intent",
            "on_behalf_of": None,
            "payment_method": method["id"] if method else None,
            "payment_method_options": {},
            "payment_method_types": [method["type"]] if method else ["card"],
            "processing": None,
            "receipt_email": None,
            "review": None,
            "setup_future_usage": params.get("setup_future_usage"),
            "shipping": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": "requires_confirmation" if method else "requires_payment_method",
            "transfer_data": None,
            "transfer_group": None,
        }
        self.state.payment_intents[intent_id] = intent
        self.emit("payment_intent.created", intent, idempotency_key=idempotency_key)
        if not confirm or method is None:
            return intent
        return self._confirm(intent, method, off_session=off_session, key=idempotency_key)

    def _confirm(
        self,
        intent: dict[str, Any],
        method: dict[str, Any],
        *,
        off_session: bool,
        key: str | None,
    ) -> dict[str, Any]:
        behaviour = self.state.method_behaviour.get(method["id"])
        outcome = behaviour.outcome if behaviour else "succeeded"
        if outcome == "authentication_required" and not off_session:
            intent["status"] = "requires_action"
            intent["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect"},
            }
            self.emit("payment_intent.requires_action", intent, idempotency_key=key)
            return intent
        charge = self._charge(intent, method, outcome)
        intent["latest_charge"] = charge["id"]
        if outcome == "succeeded":
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            self.emit("charge.succeeded", charge, idempotency_key=key)
            self.emit("payment_intent.succeeded", intent, idempotency_key=key)
            return intent
        if outcome == "processing":
            intent["status"] = "processing"
            self.emit("payment_intent.processing", intent, idempotency_key=key)
            return intent
        assert behaviour is not None
        code = (
            "authentication_required" if outcome == "authentication_required" else "card_declined"
        )
        message = (
            "Your card was declined. This transaction requires authentication."
            if code == "authentication_required"
            else "Your card was declined."
        )
        error = {
            "code": code,
            "decline_code": behaviour.decline_code,
            "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            "message": message,
            "payment_method": copy.deepcopy(method),
            "type": "card_error",
        }
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = error
        self.emit("charge.failed", charge, idempotency_key=key)
        self.emit("payment_intent.payment_failed", intent, idempotency_key=key)
        raise _StripeError(
            402,
            message,
            type_="card_error",
            code=code,
            extra={
                "decline_code": behaviour.decline_code,
                "charge": charge["id"],
                "payment_intent": copy.deepcopy(intent),
                "payment_method": copy.deepcopy(method),
                "request_log_url": f"https://dashboard.stripe.com/test/logs/{_new_id('req_')}",
            },
        )

    def _charge(
        self, intent: Mapping[str, Any], method: Mapping[str, Any], outcome: str
    ) -> dict[str, Any]:
        ok = outcome in ("succeeded", "processing")
        details: dict[str, Any] = {
            "type": method["type"],
            method["type"]: method.get(method["type"]),
        }
        charge: dict[str, Any] = {
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if outcome == "succeeded" else 0,
            "amount_refunded": 0,
            "balance_transaction": _new_id("txn_") if outcome == "succeeded" else None,
            "captured": outcome == "succeeded",
            "created": _now(),
            "currency": intent["currency"],
            "customer": intent["customer"],
            "description": intent["description"],
            "disputed": False,
            "failure_code": None if ok else "card_declined",
            "failure_message": None if ok else "Your card was declined.",
            "id": _new_id("ch_"),
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "object": "charge",
            "paid": outcome == "succeeded",
            "payment_intent": intent["id"],
            "payment_method": method["id"],
            "payment_method_details": details,
            "refunded": False,
            "refunds": {
                "data": [],
                "has_more": False,
                "object": "list",
                "url": "",
            },
            "status": {"succeeded": "succeeded", "processing": "pending"}.get(outcome, "failed"),
        }
        charge["refunds"]["url"] = f"/v1/charges/{charge['id']}/refunds"
        self.state.charges[charge["id"]] = charge
        return charge

    def get_payment_intent(self, intent_id: str, expand: list[str]) -> dict[str, Any]:
        intent = _lookup(self.state.payment_intents, "payment_intent", intent_id)
        result = copy.deepcopy(intent)
        if "latest_charge" in expand and intent["latest_charge"]:
            result["latest_charge"] = copy.deepcopy(self.state.charges[intent["latest_charge"]])
        return result

    def confirm_on_session(self, intent_id: str, payment_method: str) -> dict[str, Any]:
        """Confirm a customer-present PaymentIntent with a test method, as Stripe.js would."""
        intent = _lookup(self.state.payment_intents, "payment_intent", intent_id, "payment_intent")
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise _StripeError(
                400,
                f"This PaymentIntent's status is {intent['status']}; it cannot be confirmed.",
                code="payment_intent_unexpected_state",
            )
        method = self.resolve_method(payment_method, intent["customer"])
        intent["payment_method"] = method["id"]
        intent["payment_method_types"] = [method["type"]]
        intent["last_payment_error"] = None
        try:
            return self._confirm(intent, method, off_session=False, key=None)
        except _StripeError:
            return intent  # declined: the error is on the intent, as the browser sees it

    def settle(self, intent_id: str, outcome: str) -> dict[str, Any]:
        intent = self.state.payment_intents.get(intent_id)
        if intent is None or intent["status"] != "processing":
            raise _StripeError(400, "only a processing PaymentIntent can be settled")
        charge = self.state.charges[intent["latest_charge"]]
        if outcome == "succeeded":
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            charge.update(status="succeeded", paid=True, captured=True)
            charge["amount_captured"] = intent["amount"]
            self.emit("charge.succeeded", charge)
            self.emit("payment_intent.succeeded", intent)
        else:
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "code": "payment_method_provider_decline",
                "message": "The bank declined the debit.",
                "type": "card_error",
            }
            charge.update(status="failed", failure_code="payment_method_provider_decline")
            self.emit("charge.failed", charge)
            self.emit("payment_intent.payment_failed", intent)
        return intent

    # -- refunds --------------------------------------------------------------------------------

    def create_refund(self, params: Mapping[str, Any], key: str | None) -> dict[str, Any]:
        charge: dict[str, Any] | None = None
        intent_id = params.get("payment_intent")
        if intent_id is not None:
            intent = _lookup(
                self.state.payment_intents, "payment_intent", str(intent_id), "payment_intent"
            )
            if intent["status"] != "succeeded" or not intent["latest_charge"]:
                raise _StripeError(
                    400,
                    f"PaymentIntent {intent_id} does not have a successful charge to refund.",
                    param="payment_intent",
                )
            charge = self.state.charges[intent["latest_charge"]]
        elif params.get("charge"):
            charge = _lookup(self.state.charges, "charge", str(params["charge"]), "charge")
        else:
            raise _StripeError(400, "One of charge or payment_intent is required.")
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise _StripeError(
                400,
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = _parse_amount(params["amount"]) if "amount" in params else remaining
        if amount > remaining:
            raise _StripeError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({remaining})",
                code="amount_too_large",
                param="amount",
            )
        reason = params.get("reason")
        if reason is not None and reason not in (
            "duplicate",
            "fraudulent",
            "requested_by_customer",
        ):
            raise _StripeError(400, f"Invalid reason: {reason}", param="reason")
        refund: dict[str, Any] = {
            "amount": amount,
            "balance_transaction": _new_id("txn_"),
            "charge": charge["id"],
            "created": _now(),
            "currency": charge["currency"],
            "id": _new_id("re_"),
            "metadata": dict(params.get("metadata") or {}),
            "object": "refund",
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        self.state.refunds[refund["id"]] = refund
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].append(copy.deepcopy(refund))
        self.emit("refund.created", refund, idempotency_key=key)
        self.emit("charge.refunded", charge, previous=previous, idempotency_key=key)
        return refund

    def get_refund(self, refund_id: str) -> dict[str, Any]:
        return _lookup(self.state.refunds, "refund", refund_id)

    def get_event(self, event_id: str) -> dict[str, Any]:
        return _lookup(self.state.events, "event", event_id)

    def list_events(self, params: Mapping[str, Any]) -> dict[str, Any]:
        events = list(reversed(self.state.events.values()))
        if params.get("type"):
            events = [event for event in events if event["type"] == params["type"]]
        limit = int(params.get("limit", 10))
        return {
            "object": "list",
            "data": events[:limit],
            "has_more": len(events) > limit,
            "url": "/v1/events",
        }

    def find_object(self, object_id: str) -> dict[str, Any]:
        for table in (
            self.state.payment_intents,
            self.state.setup_intents,
            self.state.charges,
            self.state.refunds,
            self.state.payment_methods,
            self.state.customers,
        ):
            if object_id in table:
                return table[object_id]
        raise _missing("object", object_id)


def _parse_amount(value: object) -> int:
    if not isinstance(value, str) or not value.isdigit():
        raise _StripeError(400, "Invalid integer: amount", param="amount")
    amount = int(value)
    if amount < 1:
        raise _StripeError(
            400, "Amount must be at least 1", code="amount_too_small", param="amount"
        )
    return amount


def _parse_currency(value: object, amount: int) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z]{3}", value):
        raise _StripeError(400, f"Invalid currency: {value}", param="currency")
    if value in _UNSUPPORTED_CURRENCIES:
        raise _StripeError(400, f"Invalid currency: {value}", param="currency")
    if value in _THREE_DECIMAL and amount % 10:
        raise _StripeError(
            400,
            f"Amounts in {value} must be divisible by 10 (the last digit must be 0).",
            param="amount",
        )
    if value in _WHOLE_HUNDREDS and amount % 100:
        raise _StripeError(400, f"Amounts in {value} must be divisible by 100.", param="amount")
    return value


class FakeStripeState(FakeProvider):
    """Everything one fake Stripe account holds, and its routes; ``app`` is the application."""

    settable = ("secret_key", "leak_keys_in_errors")

    def __init__(self, settings: StripeFakeSettings) -> None:
        super().__init__()
        self.settings = settings
        self.customers: dict[str, dict[str, Any]] = {}
        self.setup_intents: dict[str, dict[str, Any]] = {}
        self.payment_methods: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.method_behaviour: dict[str, MethodBehaviour] = {}
        self.app = self.build_app(_routes(self, _Handlers(self)))

    def fault_body(self, status: int) -> Any:
        return {"error": {"type": "api_error", "message": "An unknown error occurred"}}

    def authenticate(self, request: Request) -> Response | None:
        expected = self.settings.secret_key
        given = bearer_token(request)
        if expected is None or given == expected:
            return None
        shown = given if self.settings.leak_keys_in_errors else f"{given[:8]}****{given[-4:]}"
        return _StripeError(401, f"Invalid API Key provided: {shown}").response()

    def forget(self) -> None:
        for table in (
            self.customers,
            self.setup_intents,
            self.payment_methods,
            self.payment_intents,
            self.charges,
            self.refunds,
            self.events,
            self.method_behaviour,
        ):
            table.clear()

    def events_of_type(self, event_type: str) -> list[dict[str, Any]]:
        """Events of one type, oldest first."""
        return [event for event in self.events.values() if event["type"] == event_type]

    def operation(self, run: Operation) -> Handler:
        """An API handler: Stripe's form parameters, then ``run`` once per idempotency key."""

        async def handle(request: Request, received: ReceivedRequest) -> Response:
            params = received.params
            return self.once(
                received,
                json.dumps(params, sort_keys=True),
                lambda key: Answer(200, run(request, params, key)),
                reused=_key_reused,
                # Stripe keeps a result once execution began (a decline); a request that
                # failed validation is not kept and may be retried with the same key.
                keeps=lambda error: error.status == 402,
            )

        return handle


def _key_reused(key: str) -> FakeError:
    return _StripeError(
        400,
        "Keys for idempotent requests can only be used with the same parameters they were "
        f"first used with. Try using a key other than '{key}' if you meant to execute a "
        "different request.",
        type_="idempotency_error",
    )


def stripe_state(app: Starlette) -> FakeStripeState:
    """The in-memory state behind an app made by :func:`create_stripe_app`."""
    state: FakeStripeState = app.state.fake
    return state


def sign_payload(payload: bytes, secrets_: list[str], timestamp: int) -> str:
    """A ``Stripe-Signature`` header: one ``v1`` per secret, as Stripe sends while rolling."""
    parts = [f"t={timestamp}"]
    for secret in secrets_:
        mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
        parts.append(f"v1={mac.hexdigest()}")
    return ",".join(parts)


def create_stripe_app(
    *,
    secret_key: str | None = "sk_test_fake",
    leak_keys_in_errors: bool = False,
) -> Starlette:
    """A fake Stripe API with its own empty state.

    Args:
        secret_key: the key requests must present as ``Authorization: Bearer``; ``None``
            accepts any.
        leak_keys_in_errors: echo a wrong key in full in the 401 message (Stripe masks it) so
            tests can check that our errors redact what the provider echoes.
    """
    settings = StripeFakeSettings(secret_key=secret_key, leak_keys_in_errors=leak_keys_in_errors)
    return FakeStripeState(settings).app


def _routes(fake: FakeStripeState, ops: _Handlers) -> list[Route]:
    def path(request: Request, name: str = "id") -> str:
        return str(request.path_params[name])

    async def deliver_webhooks(request: Request) -> Response:
        body = await control_json(request)
        url = body.get("url")
        signing = body.get("secrets") or ([body["secret"]] if body.get("secret") else [])
        if not isinstance(url, str) or not isinstance(signing, list) or not signing:
            return JSONResponse({"error": "url and secrets are required"}, 400)
        with fake.lock:
            try:
                events = [_pick_event(ops, item) for item in body.get("events") or []]
            except _StripeError as exc:
                return exc.response()
        timestamp = body.get("timestamp")
        outgoing: list[Outgoing] = []
        for _ in range(int(body.get("repeat", 1))):
            for event in events:
                payload = json.dumps(event, indent=2).encode()
                signed_at = int(timestamp) if timestamp is not None else _now()
                header = sign_payload(payload, [str(s) for s in signing], signed_at)
                outgoing.append(
                    Outgoing(
                        url,
                        "webhook",
                        content=payload,
                        headers={
                            "Content-Type": "application/json; charset=utf-8",
                            "Stripe-Signature": header,
                            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                        },
                        note={"event_id": event["id"], "type": event["type"]},
                    )
                )
        return JSONResponse({"deliveries": await fake.send(outgoing, timeout_s=10.0)})

    api: list[tuple[str, str, Operation]] = [
        ("POST", "/v1/customers", lambda r, p, k: ops.create_customer(p)),
        ("GET", "/v1/customers/{id}", lambda r, p, k: ops.get_customer(path(r))),
        ("POST", "/v1/setup_intents", lambda r, p, k: ops.create_setup_intent(p)),
        ("GET", "/v1/setup_intents/{id}", lambda r, p, k: ops.get_setup_intent(path(r))),
        (
            "POST",
            "/v1/setup_intents/{id}/confirm",
            lambda r, p, k: ops.confirm_setup_intent(
                path(r), str(p.get("payment_method", "")), None
            ),
        ),
        ("GET", "/v1/payment_methods/{id}", lambda r, p, k: ops.get_method(path(r))),
        ("POST", "/v1/payment_methods/{id}/detach", lambda r, p, k: ops.detach_method(path(r))),
        ("POST", "/v1/payment_intents", lambda r, p, k: ops.create_payment_intent(p, k)),
        (
            "GET",
            "/v1/payment_intents/{id}",
            lambda r, p, k: ops.get_payment_intent(path(r), list(p.get("expand") or [])),
        ),
        ("POST", "/v1/refunds", lambda r, p, k: ops.create_refund(p, k)),
        ("GET", "/v1/refunds/{id}", lambda r, p, k: ops.get_refund(path(r))),
        ("GET", "/v1/events", lambda r, p, k: ops.list_events(p)),
        ("GET", "/v1/events/{id}", lambda r, p, k: ops.get_event(path(r))),
    ]
    return [
        *(fake.api(url, fake.operation(run), methods=[verb]) for verb, url, run in api),
        fake.command(
            "/setup_intents/{id}/confirm",
            lambda r, body: ops.confirm_setup_intent(
                path(r),
                str(body.get("payment_method", "pm_card_visa")),
                text_or_none(body.get("outcome")),
            ),
        ),
        fake.command(
            "/payment_intents/{id}/confirm",
            lambda r, body: ops.confirm_on_session(
                path(r), str(body.get("payment_method", "pm_card_visa"))
            ),
        ),
        fake.command(
            "/payment_intents/{id}/settle",
            lambda r, body: ops.settle(path(r), str(body.get("outcome", "succeeded"))),
        ),
        Route("/__control/webhooks/deliver", deliver_webhooks, methods=["POST"]),
    ]


def _pick_event(handlers: _Handlers, item: object) -> dict[str, Any]:
    """An existing event by id, or a new one for ``{"type", "object_id"}`` from the object now."""
    if isinstance(item, str):
        return copy.deepcopy(handlers.get_event(item))
    if isinstance(item, Mapping) and "type" in item and "object_id" in item:
        obj = handlers.find_object(str(item["object_id"]))
        return copy.deepcopy(handlers.emit(str(item["type"]), obj))
    raise _StripeError(400, "events are ids or {type, object_id} objects")
