"""Errors of the catalog domain.

A tax rate named in a request body that does not exist is a 400 ``tax_rate_not_found`` (the same
convention as ``reseller_not_found`` for tenants): the request is well-formed, it refers to
something that is not there. A tax rate named in the path is a 404.
"""

from __future__ import annotations

from billing.core.errors import BadRequest, Conflict, NotFound, Unprocessable


class TaxRateNotFound(NotFound):
    """No tax rate has this id."""

    code = "tax_rate_not_found"
    message = "Tax rate not found."


class UnknownTaxRate(BadRequest):
    """The ``tax_rate_id`` of a product body names no tax rate."""

    code = "tax_rate_not_found"
    message = "The tax rate named by tax_rate_id does not exist."


class TaxRateInactive(BadRequest):
    """A deactivated tax rate cannot be given to a product."""

    code = "tax_rate_inactive"
    message = "The tax rate named by tax_rate_id is inactive; activate it or pick another."


class InvalidTaxRate(Unprocessable):
    """The rate, category and exemption reason do not fit EN 16931."""

    code = "tax_rate_invalid"
    message = "The tax rate is invalid."


class TaxRateInUse(Conflict):
    """Products still reference the tax rate."""

    code = "tax_rate_in_use"
    message = "Products still use this tax rate; reassign them or deactivate the rate instead."


class ProductNotFound(NotFound):
    """No product has this id."""

    code = "product_not_found"
    message = "Product not found."


class ProductCodeTaken(Conflict):
    """Another product already has this code."""

    code = "product_code_taken"
    message = "Another product already has this code."


class ProductInUse(Conflict):
    """Recurring prices belong to the product."""

    code = "product_in_use"
    message = "Recurring prices belong to this product; deactivate it (active: false) instead."
