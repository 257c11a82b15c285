"""Safaricom M-Pesa (Daraja) provider plugin."""

from billing.providers.mpesa.client import DarajaClient, daraja_timestamp, stk_password
from billing.providers.mpesa.config import MpesaConfig, MpesaTransactionType
from billing.providers.mpesa.provider import (
    MpesaProvider,
    c2b_confirmation_ack,
    c2b_validation_response,
    callback_ack,
    parse_c2b_notification,
    parse_reversal_result,
    parse_stk_callback,
)

__all__ = [
    "DarajaClient",
    "MpesaConfig",
    "MpesaProvider",
    "MpesaTransactionType",
    "c2b_confirmation_ack",
    "c2b_validation_response",
    "callback_ack",
    "daraja_timestamp",
    "parse_c2b_notification",
    "parse_reversal_result",
    "parse_stk_callback",
    "stk_password",
]
