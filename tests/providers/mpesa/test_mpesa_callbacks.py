"""Parsing of Daraja deliveries: STK callbacks, C2B notifications, reversal results."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from billing.providers.base import (
    Amount,
    CallbackKind,
    CallbackVerificationError,
    PaymentStatus,
)
from billing.providers.mpesa import (
    c2b_confirmation_ack,
    c2b_validation_response,
    callback_ack,
    parse_c2b_notification,
    parse_stk_callback,
)
from billing.providers.mpesa.client import EAT
from billing.providers.mpesa.mapping import is_being_processed, status_from_result_code
from billing.providers.mpesa.provider import parse_reversal_result

SUCCESS = {
    "Body": {
        "stkCallback": {
            "MerchantRequestID": "29115-34620561-1",
            "CheckoutRequestID": "ws_CO_191220191020363925",
            "ResultCode": 0,
            "ResultDesc": "The service request is processed successfully.",
            "CallbackMetadata": {
                "Item": [
                    {"Name": "Amount", "Value": 1.00},
                    {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                    {"Name": "Balance"},
                    {"Name": "TransactionDate", "Value": 20191219102115},
                    {"Name": "PhoneNumber", "Value": 254708374149},
                ]
            },
        }
    }
}
CANCELLED = {
    "Body": {
        "stkCallback": {
            "MerchantRequestID": "f1e2-4b95-a71d-b30d3cdbb7a7942864",
            "CheckoutRequestID": "ws_CO_21072024125243250722943992",
            "ResultCode": 1032,
            "ResultDesc": "Request cancelled by user",
        }
    }
}
C2B = {
    "TransactionType": "Pay Bill",
    "TransID": "RKL51ZDR4F",
    "TransTime": "20231121121325",
    "TransAmount": "5.00",
    "BusinessShortCode": "600966",
    "BillRefNumber": "INV20240007",
    "InvoiceNumber": "",
    "OrgAccountBalance": "25.00",
    "ThirdPartyTransID": "",
    "MSISDN": "2547 ***** 126",
    "FirstName": "NICHOLAS",
    "MiddleName": "",
    "LastName": "",
}


class TestStkCallback:
    def test_success(self) -> None:
        event = parse_stk_callback(SUCCESS)
        assert event.provider_ref == "ws_CO_191220191020363925"
        # One per result: a (forged) early failure never hides the genuine success.
        assert event.dedupe_key == "ws_CO_191220191020363925:0"
        assert event.reported_status is PaymentStatus.SUCCEEDED
        assert event.reported_amount == Amount(Decimal("1.00"), "KES")
        assert event.occurred_at == datetime(2019, 12, 19, 10, 21, 15, tzinfo=EAT)
        assert event.data["receipt"] == "NLJ7RT61SV"
        assert event.data["phone"] == "254708374149"

    def test_metadata_in_any_order(self) -> None:
        body = json.loads(json.dumps(SUCCESS))
        body["Body"]["stkCallback"]["CallbackMetadata"]["Item"].reverse()
        assert parse_stk_callback(body).data["receipt"] == "NLJ7RT61SV"

    def test_cancelled_without_metadata(self) -> None:
        event = parse_stk_callback(CANCELLED)
        assert event.reported_status is PaymentStatus.CANCELLED
        assert event.reported_amount is None
        assert event.occurred_at is None

    @pytest.mark.parametrize(
        "mutate",
        [
            lambda b: b.pop("Body"),
            lambda b: b["Body"].pop("stkCallback"),
            lambda b: b["Body"]["stkCallback"].pop("CheckoutRequestID"),
            lambda b: b["Body"]["stkCallback"].update(CheckoutRequestID=""),
            lambda b: b["Body"]["stkCallback"].pop("ResultCode"),
            lambda b: b["Body"]["stkCallback"]["CallbackMetadata"].update(Item="x"),
            lambda b: b["Body"]["stkCallback"]["CallbackMetadata"]["Item"].pop(1),  # receipt
            lambda b: b["Body"]["stkCallback"]["CallbackMetadata"]["Item"][0].update(Value="x"),
            lambda b: b["Body"]["stkCallback"]["CallbackMetadata"]["Item"][3].update(Value=7),
        ],
    )
    def test_malformed(self, mutate: Any) -> None:
        body = json.loads(json.dumps(SUCCESS))
        mutate(body)
        with pytest.raises(CallbackVerificationError) as caught:
            parse_stk_callback(body)
        assert caught.value.code == "malformed_callback"


class TestParseCallbackDispatch:
    @pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'{"foo": 1}', b"\xff\xfe"])
    async def test_malformed_bodies(self, raw: bytes, provider: Any) -> None:
        with pytest.raises(CallbackVerificationError):
            await provider.parse_callback(raw, {}, {})

    async def test_c2b_validation_by_query(self, provider: Any) -> None:
        event = await provider.parse_callback(
            json.dumps(C2B).encode(), {}, {"kind": "c2b_validation"}
        )
        assert event.kind == "c2b_validation"
        assert event.reported_status is None
        assert event.dedupe_key == "c2b_validation:RKL51ZDR4F"


class TestC2B:
    def test_confirmation(self) -> None:
        event = parse_c2b_notification(C2B, kind=CallbackKind.C2B_CONFIRMATION)
        assert event.provider_ref == "RKL51ZDR4F"
        assert event.dedupe_key == "c2b_confirmation:RKL51ZDR4F"
        assert event.reported_amount == Amount(Decimal("5.00"), "KES")
        assert event.data["account_reference"] == "INV20240007"
        assert event.data["msisdn"] == "2547 ***** 126"
        assert event.occurred_at == datetime(2023, 11, 21, 12, 13, 25, tzinfo=EAT)

    @pytest.mark.parametrize("missing", ["TransID", "TransAmount"])
    def test_required_fields(self, missing: str) -> None:
        body = {k: v for k, v in C2B.items() if k != missing}
        with pytest.raises(CallbackVerificationError):
            parse_c2b_notification(body, kind=CallbackKind.C2B_CONFIRMATION)

    def test_answers(self) -> None:
        assert callback_ack() == {"ResultCode": 0, "ResultDesc": "Accepted"}
        assert c2b_confirmation_ack() == {"ResultCode": 0, "ResultDesc": "Success"}
        assert c2b_validation_response(True) == {"ResultCode": "0", "ResultDesc": "Accepted"}
        assert c2b_validation_response(False, reject_code="C2B00012") == {
            "ResultCode": "C2B00012",
            "ResultDesc": "Rejected",
        }


class TestReversalResult:
    def test_single_parameter_object(self) -> None:
        event = parse_reversal_result(
            {
                "Result": {
                    "ResultType": 0,
                    "ResultCode": 0,
                    "ConversationID": "AG_1",
                    "ResultParameters": {"ResultParameter": {"Key": "Amount", "Value": 1.0}},
                }
            }
        )
        assert event.reported_status is PaymentStatus.REFUNDED
        assert event.reported_amount == Amount(Decimal("1.00"), "KES")

    def test_missing_result(self) -> None:
        with pytest.raises(CallbackVerificationError):
            parse_reversal_result({"Foo": {}})


class TestMapping:
    @pytest.mark.parametrize(
        ("code", "status"),
        [
            (0, PaymentStatus.SUCCEEDED),
            ("0", PaymentStatus.SUCCEEDED),
            (1032, PaymentStatus.CANCELLED),
            ("1037", PaymentStatus.EXPIRED),
            (1019, PaymentStatus.EXPIRED),
            (1, PaymentStatus.FAILED),
            ("2001", PaymentStatus.FAILED),
            ("SFC_IC0003", PaymentStatus.FAILED),
        ],
    )
    def test_result_codes(self, code: int | str, status: PaymentStatus) -> None:
        assert status_from_result_code(code) is status

    def test_being_processed(self) -> None:
        assert is_being_processed("500.001.1001", "The transaction is being processed")
        assert not is_being_processed("500.001.1001", "Wrong credentials")
        assert not is_being_processed("500.003.02", "The transaction is being processed")
