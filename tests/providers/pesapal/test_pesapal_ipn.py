"""Parsing of Pesapal IPNs and the status mapping, without HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from billing.providers.base import CallbackVerificationError, PaymentStatus
from billing.providers.pesapal import ipn_acknowledgement, parse_ipn
from billing.providers.pesapal.client import parse_pesapal_datetime
from billing.providers.pesapal.mapping import body_error, status_from_transaction

TRACKING = "b945e4af-80a5-4ec1-8706-e03f8332fb04"
PARAMS = {
    "OrderTrackingId": TRACKING,
    "OrderMerchantReference": "INV-2024-0007-A1",
    "OrderNotificationType": "IPNCHANGE",
}


class TestParseIpn:
    def test_get(self) -> None:
        event = parse_ipn(b"", {}, PARAMS)
        assert event.provider_ref == TRACKING
        assert event.dedupe_key == f"{TRACKING}:IPNCHANGE"
        assert event.kind == "payment"
        assert event.reported_status is None
        assert event.data["merchant_reference"] == "INV-2024-0007-A1"

    def test_post_json(self) -> None:
        event = parse_ipn(json.dumps(PARAMS).encode(), {"Content-Type": "application/json"}, {})
        assert event.provider_ref == TRACKING

    def test_post_form(self) -> None:
        body = b"OrderTrackingId=" + TRACKING.encode() + b"&OrderNotificationType=IPNCHANGE"
        event = parse_ipn(body, {"content-type": "application/x-www-form-urlencoded"}, {})
        assert event.provider_ref == TRACKING
        assert event.data["merchant_reference"] == ""

    def test_lower_case_names(self) -> None:
        event = parse_ipn(b"", {}, {k.lower(): v for k, v in PARAMS.items()})
        assert event.provider_ref == TRACKING

    def test_recurring(self) -> None:
        event = parse_ipn(b"", {}, {**PARAMS, "OrderNotificationType": "RECURRING"})
        assert event.kind == "recurring"
        assert event.dedupe_key.endswith(":RECURRING")

    @pytest.mark.parametrize(
        ("body", "query"),
        [
            (b"", {}),
            (b"", {"OrderTrackingId": TRACKING}),
            (b"", {"OrderNotificationType": "IPNCHANGE"}),
            (b"not json", {}),
            (b"[1]", {}),
        ],
    )
    def test_malformed(self, body: bytes, query: dict[str, str]) -> None:
        with pytest.raises(CallbackVerificationError):
            parse_ipn(body, {}, query)

    def test_acknowledgement(self) -> None:
        event = parse_ipn(b"", {}, PARAMS)
        assert ipn_acknowledgement(event) == {
            "orderNotificationType": "IPNCHANGE",
            "orderTrackingId": TRACKING,
            "orderMerchantReference": "INV-2024-0007-A1",
            "status": 200,
        }
        assert ipn_acknowledgement(event, processed=False)["status"] == 500


class TestMapping:
    @pytest.mark.parametrize(
        ("code", "description", "status"),
        [
            (0, "INVALID", PaymentStatus.PENDING),
            (1, "Completed", PaymentStatus.SUCCEEDED),
            ("1", "COMPLETED", PaymentStatus.SUCCEEDED),
            (2, "Failed", PaymentStatus.FAILED),
            (3, "Reversed", PaymentStatus.REFUNDED),
            (None, "completed", PaymentStatus.SUCCEEDED),
            (0, "Cancelled", PaymentStatus.CANCELLED),
            (9, "???", PaymentStatus.PENDING),
        ],
    )
    def test_status(self, code: object, description: str, status: PaymentStatus) -> None:
        assert status_from_transaction(code, description) is status

    def test_null_error_object_on_success_is_no_error(self) -> None:
        body = {
            "error": {"error_type": None, "code": None, "message": None, "call_back_url": None},
            "status": "200",
        }
        assert body_error(body) is None

    def test_error_under_http_200(self) -> None:
        body = {"error": {"code": "invalid_api_credentials", "message": "bad"}, "status": "500"}
        assert body_error(body) == ("500", "invalid_api_credentials", "bad")

    def test_status_without_error_object(self) -> None:
        assert body_error({"status": "400", "message": "nope"}) == ("400", "", "nope")


def test_seven_digit_fractions() -> None:
    assert parse_pesapal_datetime("2024-06-10T12:29:30.5177702Z") == datetime(
        2024, 6, 10, 12, 29, 30, 517770, tzinfo=UTC
    )
    assert parse_pesapal_datetime("2024-06-10T09:14:09.763") == datetime(
        2024, 6, 10, 9, 14, 9, 763000, tzinfo=UTC
    )
    assert parse_pesapal_datetime("garbage") is None
