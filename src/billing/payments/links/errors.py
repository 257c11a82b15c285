"""Errors of payment-link invoices.

The seed 004 routes answer in their own envelope (``{success, message, errors: [{code,
detail}]}``) with the seed's upper-case codes; ``SeedError`` subclasses carry those. The other
errors here are raised by the rest of the API (checkout, cash on delivery, charges) and use the
service's envelope and snake_case codes.
"""

from __future__ import annotations

from typing import ClassVar

from billing.core.errors import BadRequest, Conflict, NotFound


class SeedError(BadRequest):
    """A seed 004 error: 400 with the seed's code, in the route's own envelope."""

    seed_code: ClassVar[str] = "INVALID_REQUEST"


class InvalidRequest(SeedError):
    """The body is not a JSON object, or another part of it is unusable."""

    code = "invalid_request"
    seed_code = "INVALID_REQUEST"
    message = "The request body must be a JSON object."


class TransactionIdMissing(SeedError):
    """``transactionId`` is missing, empty or not a string."""

    code = "transaction_id_missing"
    seed_code = "TRANSACTION_ID_MISSING"
    message = "No transaction id provided."


class DuplicateTransactionId(SeedError):
    """The merchant already created an invoice with this ``transactionId``."""

    code = "duplicate_transaction_id"
    seed_code = "DUPLICATE_TRANSACTION_ID"
    message = "The provided transaction Id already exists."


class ProductMissing(SeedError):
    """``paymentItems`` is missing or empty."""

    code = "product_missing"
    seed_code = "PRODUCT_MISSING"
    message = "No product provided."


class BadProduct(SeedError):
    """An item of ``paymentItems`` is malformed or misses a field."""

    code = "bad_product"
    seed_code = "BAD_PRODUCT"
    message = "An item of the products array is incorrectly formatted or has missing parameters."


class PaymentAccountMissing(SeedError):
    """``paymentAccountIdentifier`` is missing or empty."""

    code = "payment_account_missing"
    seed_code = "PAYMENT_ACCOUNT_MISSING"
    message = "paymentAccountIdentifier parameter is missing."


class BadExpirationDate(SeedError):
    """``expiryAt`` is not an RFC 3339 date-time with an offset, or is not in the future."""

    code = "bad_expiration_date"
    seed_code = "BAD_EXPIRATION_DATE"
    message = "The expiration date is incorrectly formatted or is in the past."


class BadLanguage(SeedError):
    """``language`` is not one of FR, EN, RW."""

    code = "bad_language"
    seed_code = "BAD_LANGUAGE"
    message = "The language is incorrectly formatted; use FR, EN or RW."


class BadCustomerContact(SeedError):
    """``customer`` (e-mail, phone number, name) is malformed."""

    code = "bad_customer_contact"
    seed_code = "BAD_CUSTOMER_CONTACT"
    message = "A CustomerContact is incorrectly formatted."


class PaymentAccountNotFound(SeedError):
    """No active payment account has this identifier."""

    code = "payment_account_not_found"
    seed_code = "PAYMENT_ACCOUNT_NOT_FOUND"
    message = "The payment account identifier provided does not exist under the merchant."


class ProductNotFound(SeedError):
    """A product code names no active catalog product."""

    code = "product_not_found"
    seed_code = "PRODUCT_NOT_FOUND"
    message = "A product provided does not exist under the merchant."


class BadDescription(SeedError):
    """``description`` is not a string of at most 2000 characters (an extension code)."""

    code = "bad_description"
    seed_code = "BAD_DESCRIPTION"
    message = "The description must be a string of at most 2000 characters."


class UnknownField(SeedError):
    """The body has a field seed 004 does not define (an extension code)."""

    code = "unknown_field"
    seed_code = "UNKNOWN_FIELD"
    message = "The body has a field this API does not know."


class TenantMissing(SeedError):
    """An operator-wide key must name the tenant the invoice bills (an extension code)."""

    code = "tenant_missing"
    seed_code = "TENANT_MISSING"
    message = "The operator's keys name the tenant to invoice in tenantId."


class TenantNotFound(SeedError):
    """``tenantId`` names no tenant the caller may invoice (an extension code)."""

    code = "tenant_not_found"
    seed_code = "TENANT_NOT_FOUND"
    message = "The tenant named by tenantId does not exist under the merchant."


class UnsupportedApiVersion(SeedError):
    """``X-API-Version`` names a version these routes do not speak (an extension code)."""

    code = "unsupported_api_version"
    seed_code = "UNSUPPORTED_API_VERSION"
    message = "X-API-Version must be 2 (or left out)."


class PaymentInvoiceNotFound(NotFound):
    """No payment-link invoice of this merchant has this number or transaction id."""

    code = "invoice_not_found"
    message = "No invoice of this merchant has this number or transaction id."


class PaymentLinkExpired(Conflict):
    """The invoice's payment link expired: no new payment attempt starts."""

    code = "payment_link_expired"
    message = "The payment link of this invoice has expired; no new payment can be started."


class PaymentMethodNotAccepted(BadRequest):
    """The invoice's payment account does not accept this method."""

    code = "payment_method_not_accepted"
    message = "The payment account of this invoice does not accept this payment method."
