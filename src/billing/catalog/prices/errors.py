"""Errors of recurring prices."""

from __future__ import annotations

from billing.core.errors import BadRequest, Conflict, NotFound, Unprocessable


class PriceNotFound(NotFound):
    """No price has this id."""

    code = "price_not_found"
    message = "Price not found."


class UnknownPrice(BadRequest):
    """A request body names a price that does not exist."""

    code = "price_not_found"
    message = "The price named in the request does not exist."


class UnknownProduct(BadRequest):
    """The ``product_id`` of a price body names no product."""

    code = "product_not_found"
    message = "The product named by product_id does not exist."


class PriceInvalid(Unprocessable):
    """The price's terms do not fit together."""

    code = "price_invalid"
    message = "The price is invalid."


class PriceInUse(Conflict):
    """Subscriptions use the price, so its terms are frozen."""

    code = "price_in_use"
    message = (
        "Subscriptions use this price, so its terms cannot change; create a new price that "
        "replaces it (replaces_price_id) for new subscriptions."
    )


class PriceInactive(BadRequest):
    """An inactive price cannot start a subscription or be switched to."""

    code = "price_inactive"
    message = "The price is inactive; new subscriptions and changes cannot use it."
