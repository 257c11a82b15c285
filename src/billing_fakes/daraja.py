"""A fake Safaricom Daraja API: OAuth, STK push with real HTTP callbacks, STK Query, Reversal.

It checks what the real API checks and plugins get wrong (Basic credentials, Bearer token and
its expiry, the STK ``Password`` against the ``Timestamp`` in Kenyan time, phone format, whole
amounts, field lengths) and answers with the shapes of providers.md section 4.

What happens after a push is scripted per test by a :class:`StkScenario`: the result code, a
delay, how many times the callback is delivered, or no callback at all. Scenarios are set for the
next push or for a phone number through the control endpoints (all under ``/__control``):

- ``POST /__control/scenario``: body with scenario fields (``result_code``, ``result_desc``,
  ``delay_ms``, ``deliveries``, ``drop``, ``manual``, ``receipt``) plus ``phone`` (sticky for that
  number) or ``default: true``; without either, for the next push only.
- ``POST /__control/stk/{id}/trigger``: decide now (optional ``result_code``, ``deliveries``) and
  deliver the callback; answers with the delivery results.
- ``POST /__control/forge``: send a forged STK callback, ``{"url", "body"}`` or ``{"url",
  "checkout_request_id", "result_code", "amount", "receipt", "phone"}``.
- ``POST /__control/c2b``: send a C2B confirmation/validation body to ``url``.
- ``GET /__control/transactions``, ``/__control/reversals``, ``/__control/status-queries``:
  the pushes, reversals and Transaction Status queries received.

Plus the control endpoints every fake answers (:mod:`billing_fakes.base`): ``requests``,
``deliveries``, ``faults``, ``expire-tokens``, ``settings`` (``token_ttl_ms``,
``timestamp_tolerance_s``, ``leak_credentials_in_errors``) and ``reset`` (everything but the
settings).

State is in memory per app instance; run it with :class:`billing_fakes.server.FakeServer`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from billing_fakes.base import FakeError, FakeProvider, Outgoing, control_json
from billing_fakes.server import ReceivedRequest

__all__ = [
    "SANDBOX_PASSKEY",
    "SANDBOX_SHORTCODE",
    "DarajaFake",
    "DarajaFakeSettings",
    "StkScenario",
    "create_daraja_app",
]

SANDBOX_SHORTCODE = "174379"
SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"

_EAT = timezone(timedelta(hours=3), "EAT")
_MSISDN = re.compile(r"^254[71]\d{8}$")
_TIMESTAMP = re.compile(r"^\d{14}$")
_TRANSACTION_TYPES = frozenset({"CustomerPayBillOnline", "CustomerBuyGoodsOnline"})

_RESULT_DESCRIPTIONS = {
    0: "The service request is processed successfully.",
    1: "The balance is insufficient for the transaction.",
    1019: "Transaction has expired.",
    1032: "Request cancelled by user",
    1037: "DS timeout user cannot be reached",
    2001: "The initiator information is invalid.",
}


@dataclass(slots=True)
class StkScenario:
    """What the fake does after accepting an STK push.

    ``result_code`` 0 succeeds with a receipt; 1032 cancelled, 1037 timeout, 1 insufficient
    funds, any other code a failure. The result is decided ``delay_ms`` after the push (or when
    triggered, if ``manual``); the callback is then POSTed ``deliveries`` times unless ``drop``.
    """

    result_code: int = 0
    result_desc: str | None = None
    delay_ms: int = 0
    deliveries: int = 1
    drop: bool = False
    manual: bool = False
    receipt: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StkScenario:
        """Build from a control request body, ignoring non-scenario keys."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(slots=True)
class DarajaFakeSettings:
    """Credentials the fake accepts and its tunables.

    ``credentials`` maps each accepted shortcode to its passkey. ``timestamp_tolerance_s``
    bounds the distance between the push's ``Timestamp`` (read as Kenyan time) and now, which
    catches timestamps built in UTC; ``None`` disables the check.
    """

    consumer_key: str = "fake-daraja-consumer-key"
    consumer_secret: str = "fake-daraja-consumer-secret"
    credentials: dict[str, str] = field(
        default_factory=lambda: {SANDBOX_SHORTCODE: SANDBOX_PASSKEY}
    )
    token_ttl_ms: int = 3_599_000
    timestamp_tolerance_s: float | None = 900.0
    initiator_name: str | None = None  # None: any initiator is accepted
    security_credential: str | None = None  # None: any non-empty credential is accepted
    callback_timeout_s: float = 5.0
    result_delay_ms: int = 0  # before a reversal result is posted
    leak_credentials_in_errors: bool = False  # echo received secrets, to test client redaction


@dataclass(slots=True)
class StkTransaction:
    """One accepted STK push and its (eventual) outcome."""

    checkout_request_id: str
    merchant_request_id: str
    shortcode: str
    phone: str
    amount: int
    account_reference: str
    callback_url: str
    scenario: StkScenario
    decided: bool = False
    result_code: int | None = None
    result_desc: str | None = None
    receipt: str | None = None
    transaction_date: int | None = None
    reversed: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON view for the control API."""
        data = asdict(self)
        data["scenario"] = asdict(self.scenario)
        return data


def _error_body(code: str, message: str) -> dict[str, str]:
    return {"requestId": secrets.token_hex(8), "errorCode": code, "errorMessage": message}


def _refusal(status: int, code: str, message: str) -> FakeError:
    return FakeError(status, _error_body(code, message))


def _bad_request(what: str) -> FakeError:
    return _refusal(400, "400.002.02", f"Bad Request - Invalid {what}")


def _json_object(received: ReceivedRequest) -> dict[str, Any]:
    data = received.json if "json" in received.headers.get("content-type", "") else None
    if not isinstance(data, dict):
        raise _bad_request("JSON body")
    return data


def _conversation_ids() -> tuple[str, str]:
    """A new ``(ConversationID, OriginatorConversationID)``."""
    return (
        f"AG_{_now_eat():%Y%m%d}_{secrets.token_hex(10)}",
        f"{secrets.token_hex(2)}-{secrets.token_hex(4)}-1",
    )


def _accepted(conversation_id: str, originator_id: str) -> JSONResponse:
    return JSONResponse(
        {
            "OriginatorConversationID": originator_id,
            "ConversationID": conversation_id,
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        }
    )


def _now_eat() -> datetime:
    return datetime.now(UTC).astimezone(_EAT)


def _receipt() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def _whole_amount(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.to_integral_value() or amount < 1:
        return None
    return int(amount)


class DarajaFake(FakeProvider):
    """State and routes of one fake Daraja instance; ``app`` is the Starlette application."""

    issues_tokens = True
    settable = ("token_ttl_ms", "timestamp_tolerance_s", "leak_credentials_in_errors")

    def __init__(self, settings: DarajaFakeSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or DarajaFakeSettings()
        self.transactions: dict[str, StkTransaction] = {}
        self.reversals: list[dict[str, Any]] = []
        self.c2b_payments: dict[str, dict[str, Any]] = {}
        self.status_queries: list[dict[str, Any]] = []
        self.next_scenarios: deque[StkScenario] = deque()
        self.phone_scenarios: dict[str, StkScenario] = {}
        self.default_scenario = StkScenario()
        post = ["POST"]
        self.app = self.build_app(
            [
                self.api(
                    "/oauth/v1/generate",
                    self.generate_token,
                    methods=["GET"],
                    authenticated=False,
                ),
                self.api("/mpesa/stkpush/v1/processrequest", self.stk_push, methods=post),
                self.api("/mpesa/stkpushquery/v1/query", self.stk_query, methods=post),
                self.api("/mpesa/reversal/v1/request", self.reversal, methods=post),
                self.api(
                    "/mpesa/transactionstatus/v1/query", self.transaction_status, methods=post
                ),
                Route("/__control/scenario", self.control_scenario, methods=post),
                Route("/__control/stk/{checkout_id}/trigger", self.control_trigger, methods=post),
                Route("/__control/forge", self.control_forge, methods=post),
                Route("/__control/c2b", self.control_c2b, methods=post),
                self.view(
                    "/transactions", lambda: [t.to_json() for t in self.transactions.values()]
                ),
                self.view("/reversals", lambda: list(self.reversals)),
                self.view("/status-queries", lambda: list(self.status_queries)),
            ]
        )

    # -- plumbing -------------------------------------------------------------------------

    def fault_body(self, status: int) -> Any:
        return _error_body("500.003.1001", "Internal Server Error")

    def authenticate(self, request: Request) -> Response | None:
        if self.token_valid(request):
            return None
        return JSONResponse(_error_body("404.001.03", "Invalid Access Token"), status_code=404)

    def forget(self) -> None:
        self.transactions.clear()
        self.reversals.clear()
        self.c2b_payments.clear()
        self.status_queries.clear()
        self.next_scenarios.clear()
        self.phone_scenarios.clear()
        self.default_scenario = StkScenario()

    def _check_password(self, data: dict[str, Any]) -> None:
        shortcode = str(data.get("BusinessShortCode", ""))
        passkey = self.settings.credentials.get(shortcode)
        if passkey is None:
            raise _bad_request("BusinessShortCode")
        timestamp = str(data.get("Timestamp", ""))
        if not _TIMESTAMP.fullmatch(timestamp):
            raise _bad_request("Timestamp")
        tolerance = self.settings.timestamp_tolerance_s
        if tolerance is not None:
            try:
                sent = datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=_EAT)
            except ValueError:
                raise _bad_request("Timestamp") from None
            if abs((sent - _now_eat()).total_seconds()) > tolerance:
                raise _bad_request("Timestamp")
        try:
            decoded = base64.b64decode(str(data.get("Password", "")), validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if decoded != f"{shortcode}{passkey}{timestamp}".encode():
            raise _refusal(500, "500.001.1001", "Wrong credentials")

    async def _post(self, url: str, payload: Any, count: int, kind: str) -> list[dict[str, Any]]:
        """POST ``payload`` to ``url`` ``count`` times, recording each outcome."""
        sent = Outgoing(url, kind, json=payload, note={"body": payload})
        return await self.send([sent] * count, timeout_s=self.settings.callback_timeout_s)

    # -- OAuth ----------------------------------------------------------------------------

    async def generate_token(self, request: Request, received: ReceivedRequest) -> Response:
        """``GET /oauth/v1/generate?grant_type=client_credentials`` with HTTP Basic."""
        if received.query.get("grant_type") != "client_credentials":
            raise _refusal(400, "400.008.02", "Invalid grant type passed")
        header = received.headers.get("authorization", "")
        key = secret = ""
        if header.startswith("Basic "):
            try:
                key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                key = secret = ""
        settings = self.settings
        if key != settings.consumer_key or secret != settings.consumer_secret:
            message = "Invalid Authentication passed"
            if settings.leak_credentials_in_errors:
                message += f" (received {key}:{secret}, header {header})"
            raise _refusal(400, "400.008.01", message)
        token = self.issue_token(settings.token_ttl_ms, 21)
        return JSONResponse(
            {"access_token": token, "expires_in": str(settings.token_ttl_ms // 1000)}
        )

    # -- STK push -------------------------------------------------------------------------

    def _scenario_for(self, phone: str) -> StkScenario:
        if phone in self.phone_scenarios:
            return self.phone_scenarios[phone]
        if self.next_scenarios:
            return self.next_scenarios.popleft()
        return self.default_scenario

    async def stk_push(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /mpesa/stkpush/v1/processrequest``."""
        data = _json_object(received)
        self._check_password(data)
        if data.get("TransactionType") not in _TRANSACTION_TYPES:
            raise _bad_request("TransactionType")
        amount = _whole_amount(data.get("Amount"))
        if amount is None:
            raise _bad_request("Amount")
        phone = str(data.get("PhoneNumber", ""))
        if not _MSISDN.fullmatch(phone) or not _MSISDN.fullmatch(str(data.get("PartyA", ""))):
            raise _bad_request("PhoneNumber")
        if not str(data.get("PartyB", "")).strip():
            raise _bad_request("PartyB")
        callback_url = str(data.get("CallBackURL", ""))
        if not callback_url.startswith(("http://", "https://")):
            raise _bad_request("CallBackURL")
        reference = str(data.get("AccountReference", ""))
        if not reference or len(reference) > 12:
            raise _bad_request("AccountReference")
        if len(str(data.get("TransactionDesc", ""))) > 13:
            raise _bad_request("TransactionDesc")
        now = _now_eat()
        transaction = StkTransaction(
            checkout_request_id=f"ws_CO_{now:%d%m%Y%H%M%S}{secrets.randbelow(10**9):09d}",
            merchant_request_id=f"{secrets.token_hex(2)}-{secrets.token_hex(4)}-1",
            shortcode=str(data["BusinessShortCode"]),
            phone=phone,
            amount=amount,
            account_reference=reference,
            callback_url=callback_url,
            scenario=self._scenario_for(phone),
        )
        self.transactions[transaction.checkout_request_id] = transaction
        if not transaction.scenario.manual:
            self.spawn(self._run_scenario(transaction))
        return JSONResponse(
            {
                "MerchantRequestID": transaction.merchant_request_id,
                "CheckoutRequestID": transaction.checkout_request_id,
                "ResponseCode": "0",
                "ResponseDescription": "Success. Request accepted for processing",
                "CustomerMessage": "Success. Request accepted for processing",
            }
        )

    def _decide(self, transaction: StkTransaction, result_code: int | None = None) -> None:
        if transaction.decided:
            return
        scenario = transaction.scenario
        code = scenario.result_code if result_code is None else result_code
        transaction.decided = True
        transaction.result_code = code
        transaction.result_desc = (
            scenario.result_desc
            if scenario.result_desc and result_code is None
            else _RESULT_DESCRIPTIONS.get(code, "The transaction failed.")
        )
        if code == 0:
            transaction.receipt = scenario.receipt or _receipt()
            transaction.transaction_date = int(_now_eat().strftime("%Y%m%d%H%M%S"))

    @staticmethod
    def callback_body(transaction: StkTransaction) -> dict[str, Any]:
        """The STK callback Daraja would POST for a decided transaction."""
        stk: dict[str, Any] = {
            "MerchantRequestID": transaction.merchant_request_id,
            "CheckoutRequestID": transaction.checkout_request_id,
            "ResultCode": transaction.result_code,
            "ResultDesc": transaction.result_desc,
        }
        if transaction.result_code == 0:
            stk["CallbackMetadata"] = {
                "Item": [
                    {"Name": "Amount", "Value": float(transaction.amount)},
                    {"Name": "MpesaReceiptNumber", "Value": transaction.receipt},
                    {"Name": "Balance"},
                    {"Name": "TransactionDate", "Value": transaction.transaction_date},
                    {"Name": "PhoneNumber", "Value": int(transaction.phone)},
                ]
            }
        return {"Body": {"stkCallback": stk}}

    async def _run_scenario(self, transaction: StkTransaction) -> None:
        scenario = transaction.scenario
        if scenario.delay_ms:
            await asyncio.sleep(scenario.delay_ms / 1000)
        self._decide(transaction)
        if not scenario.drop and scenario.deliveries > 0:
            await self._post(
                transaction.callback_url,
                self.callback_body(transaction),
                scenario.deliveries,
                "stk_callback",
            )

    async def stk_query(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /mpesa/stkpushquery/v1/query``: "being processed" until decided."""
        data = _json_object(received)
        self._check_password(data)
        transaction = self.transactions.get(str(data.get("CheckoutRequestID", "")))
        if transaction is None:
            raise _bad_request("CheckoutRequestID")
        if not transaction.decided:
            raise _refusal(500, "500.001.1001", "The transaction is being processed")
        return JSONResponse(
            {
                "ResponseCode": "0",
                "ResponseDescription": "The service request has been accepted successsfully",
                "MerchantRequestID": transaction.merchant_request_id,
                "CheckoutRequestID": transaction.checkout_request_id,
                "ResultCode": str(transaction.result_code),
                "ResultDesc": transaction.result_desc,
            }
        )

    # -- Reversal -------------------------------------------------------------------------

    async def reversal(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /mpesa/reversal/v1/request``; the result is posted to ``ResultURL``."""
        data, result_url = self._initiator_request(received, "TransactionReversal")
        if str(data.get("RecieverIdentifierType")) != "11":
            raise _bad_request("RecieverIdentifierType")
        remarks = str(data.get("Remarks") or "")
        if not 2 <= len(remarks) <= 100:
            raise _bad_request("Remarks")
        amount = _whole_amount(data.get("Amount"))
        if amount is None:
            raise _bad_request("Amount")
        receipt = str(data.get("TransactionID") or "")
        conversation_id, originator_id = _conversation_ids()
        self.reversals.append(
            {
                "conversation_id": conversation_id,
                "originator_conversation_id": originator_id,
                "transaction_id": receipt,
                "amount": amount,
                "result_url": result_url,
                "remarks": remarks,
            }
        )
        self.spawn(self._reverse(receipt, amount, result_url, conversation_id, originator_id))
        return _accepted(conversation_id, originator_id)

    async def _reverse(
        self, receipt: str, amount: int, result_url: str, conversation_id: str, originator_id: str
    ) -> None:
        if self.settings.result_delay_ms:
            await asyncio.sleep(self.settings.result_delay_ms / 1000)
        original = next(
            (t for t in self.transactions.values() if t.receipt and t.receipt == receipt), None
        )
        result: dict[str, Any] = {
            "ResultType": 0,
            "OriginatorConversationID": originator_id,
            "ConversationID": conversation_id,
            "ReferenceData": {"ReferenceItem": {"Key": "QueueTimeoutURL", "Value": result_url}},
        }
        if original is None or original.reversed or amount != original.amount:
            result.update(
                ResultCode="R000002",
                ResultDesc="The OriginalTransactionID is invalid.",
                TransactionID=_receipt(),
            )
        else:
            original.reversed = True
            reversal_id = _receipt()
            result.update(
                ResultCode=0,
                ResultDesc="The service request is processed successfully.",
                TransactionID=reversal_id,
                ResultParameters={
                    "ResultParameter": [
                        {"Key": "Amount", "Value": float(amount)},
                        {"Key": "OriginalTransactionID", "Value": receipt},
                        {"Key": "CreditPartyPublicName", "Value": f"{original.phone} - Customer"},
                        {
                            "Key": "TransCompletedTime",
                            "Value": int(_now_eat().strftime("%Y%m%d%H%M%S")),
                        },
                    ]
                },
            )
        await self._post(result_url, {"Result": result}, 1, "reversal_result")

    # -- Transaction Status ---------------------------------------------------------------

    def _initiator_request(
        self, received: ReceivedRequest, command_id: str
    ) -> tuple[dict[str, Any], str]:
        """The body of a request an initiator makes (reversal, status query) and its
        ``ResultURL``, once the initiator, its credential, the command and the URLs check."""
        data = _json_object(received)
        settings = self.settings
        initiator = str(data.get("Initiator") or "")
        credential = str(data.get("SecurityCredential") or "")
        if not initiator or (settings.initiator_name and initiator != settings.initiator_name):
            raise _bad_request("Initiator")
        if not credential or (
            settings.security_credential and credential != settings.security_credential
        ):
            raise _bad_request("SecurityCredential")
        if data.get("CommandID") != command_id:
            raise _bad_request("CommandID")
        for url_field in ("ResultURL", "QueueTimeOutURL"):
            if not str(data.get(url_field, "")).startswith(("http://", "https://")):
                raise _bad_request(url_field)
        return data, str(data["ResultURL"])

    async def transaction_status(self, request: Request, received: ReceivedRequest) -> Response:
        """``POST /mpesa/transactionstatus/v1/query``; the result is posted to ``ResultURL``.

        Knows the receipts of STK pushes that succeeded and of genuine C2B payments (sent with
        ``/__control/c2b``); any other id gets the "no such transaction" result.
        """
        data, result_url = self._initiator_request(received, "TransactionStatusQuery")
        transaction_id = str(data.get("TransactionID") or "")
        conversation_id, originator_id = _conversation_ids()
        self.status_queries.append(
            {
                "transaction_id": transaction_id,
                "conversation_id": conversation_id,
                "result_url": result_url,
            }
        )
        self.spawn(self._status_result(transaction_id, result_url, conversation_id, originator_id))
        return _accepted(conversation_id, originator_id)

    def _known_transaction(self, receipt: str) -> dict[str, Any] | None:
        if receipt in self.c2b_payments:
            return self.c2b_payments[receipt]
        stk = next(
            (t for t in self.transactions.values() if t.receipt and t.receipt == receipt), None
        )
        if stk is None:
            return None
        return {"amount": stk.amount, "shortcode": stk.shortcode, "msisdn": stk.phone}

    async def _status_result(
        self, receipt: str, result_url: str, conversation_id: str, originator_id: str
    ) -> None:
        if self.settings.result_delay_ms:
            await asyncio.sleep(self.settings.result_delay_ms / 1000)
        known = self._known_transaction(receipt)
        result: dict[str, Any] = {
            "ResultType": 0,
            "OriginatorConversationID": originator_id,
            "ConversationID": conversation_id,
            "TransactionID": receipt,
            "ReferenceData": {"ReferenceItem": {"Key": "Occasion"}},
        }
        if known is None:
            result.update(ResultCode="R000001", ResultDesc="The transaction does not exist.")
        else:
            now = int(_now_eat().strftime("%Y%m%d%H%M%S"))
            result.update(
                ResultCode=0,
                ResultDesc="The service request is processed successfully.",
                ResultParameters={
                    "ResultParameter": [
                        {"Key": "ReceiptNo", "Value": receipt},
                        {"Key": "Amount", "Value": float(known["amount"])},
                        {"Key": "TransactionStatus", "Value": "Completed"},
                        {"Key": "ReasonType", "Value": "Pay Bill Online"},
                        {"Key": "DebitPartyName", "Value": f"{known['msisdn']} - Customer"},
                        {
                            "Key": "CreditPartyName",
                            "Value": f"{known['shortcode']} - Merchant",
                        },
                        {"Key": "InitiatedTime", "Value": now},
                        {"Key": "FinalisedTime", "Value": now},
                    ]
                },
            )
        await self._post(result_url, {"Result": result}, 1, "transaction_status_result")

    # -- control --------------------------------------------------------------------------

    async def control_scenario(self, request: Request) -> Response:
        """Set the scenario for the next push, for one phone, or as the default."""
        data = await control_json(request)
        scenario = StkScenario.from_json(data)
        if data.get("phone"):
            self.phone_scenarios[str(data["phone"])] = scenario
        elif data.get("default"):
            self.default_scenario = scenario
        else:
            self.next_scenarios.append(scenario)
        return JSONResponse({"scenario": asdict(scenario)})

    async def control_trigger(self, request: Request) -> Response:
        """Decide a push now (if still undecided) and deliver its callback, waiting for it."""
        transaction = self.transactions.get(request.path_params["checkout_id"])
        if transaction is None:
            return JSONResponse({"error": "unknown CheckoutRequestID"}, status_code=404)
        data = await control_json(request)
        code = data.get("result_code")
        self._decide(transaction, int(code) if code is not None else None)
        count = int(data.get("deliveries", transaction.scenario.deliveries or 1))
        results = await self._post(
            transaction.callback_url, self.callback_body(transaction), count, "stk_callback"
        )
        return JSONResponse({"transaction": transaction.to_json(), "deliveries": results})

    async def control_forge(self, request: Request) -> Response:
        """Send a callback Daraja never issued (to test that callbacks are only hints)."""
        data = await control_json(request)
        url = str(data["url"])
        body = data.get("body")
        if body is None:
            forged = StkTransaction(
                checkout_request_id=str(data.get("checkout_request_id", "ws_CO_FORGED")),
                merchant_request_id=str(data.get("merchant_request_id", "0000-0000-1")),
                shortcode=SANDBOX_SHORTCODE,
                phone=str(data.get("phone", "254708374149")),
                amount=int(data.get("amount", 1)),
                account_reference="FORGED",
                callback_url=url,
                scenario=StkScenario(),
            )
            forged.decided = True
            forged.result_code = int(data.get("result_code", 0))
            forged.result_desc = _RESULT_DESCRIPTIONS.get(forged.result_code, "Failed")
            forged.receipt = str(data.get("receipt", _receipt()))
            forged.transaction_date = int(_now_eat().strftime("%Y%m%d%H%M%S"))
            body = self.callback_body(forged)
        results = await self._post(url, body, int(data.get("deliveries", 1)), "forged")
        return JSONResponse({"deliveries": results})

    async def control_c2b(self, request: Request) -> Response:
        """Send a C2B validation/confirmation body (customer paid to the Paybill/Till).

        ``genuine`` (default true) records the payment, so a Transaction Status query finds
        it; ``genuine: false`` sends a body Daraja never issued (a forgery).
        """
        data = await control_json(request)
        now = _now_eat()
        trans_id = str(data.get("trans_id") or _receipt())
        shortcode = str(data.get("shortcode", SANDBOX_SHORTCODE))
        if data.get("genuine", True):
            self.c2b_payments[trans_id] = {
                "amount": _whole_amount(data.get("amount", "1.00")) or 0,
                "shortcode": shortcode,
                "msisdn": str(data.get("msisdn", "254708374149")),
                "bill_ref": data.get("bill_ref", ""),
            }
        body = {
            "TransactionType": data.get("transaction_type", "Pay Bill"),
            "TransID": trans_id,
            "TransTime": now.strftime("%Y%m%d%H%M%S"),
            "TransAmount": str(data.get("amount", "1.00")),
            "BusinessShortCode": shortcode,
            "BillRefNumber": data.get("bill_ref", ""),
            "InvoiceNumber": "",
            "OrgAccountBalance": "",
            "ThirdPartyTransID": "",
            "MSISDN": data.get("msisdn", "2547 ***** 149"),
            "FirstName": data.get("first_name", "JOHN"),
            "MiddleName": "",
            "LastName": "",
        }
        results = await self._post(str(data["url"]), body, int(data.get("deliveries", 1)), "c2b")
        return JSONResponse({"deliveries": results})


def create_daraja_app(settings: DarajaFakeSettings | None = None) -> Starlette:
    """A fresh fake Daraja app; its :class:`DarajaFake` state is ``app.state.fake``."""
    return DarajaFake(settings).app
