"""Errors of the subscriptions domain."""

from __future__ import annotations

from billing.core.errors import BadRequest, Conflict, NotFound, Unprocessable


class SubscriptionNotFound(NotFound):
    """No visible subscription has this id."""

    code = "subscription_not_found"
    message = "Subscription not found."


class SubscriptionItemNotFound(BadRequest):
    """The item named in the body is not an item of this subscription."""

    code = "subscription_item_not_found"
    message = "The subscription has no such item."


class SubscriptionInvalid(Unprocessable):
    """The subscription's content does not fit together (prices, dates, collection)."""

    code = "subscription_invalid"
    message = "The subscription is invalid."


class PricesIncompatible(BadRequest):
    """Prices of one subscription must share currency, interval and timing."""

    code = "prices_incompatible"
    message = "All prices of a subscription must share currency, interval and billing timing."


class SubscriptionStateConflict(Conflict):
    """The operation does not fit the subscription's status."""

    code = "subscription_state_conflict"
    message = "The subscription's status does not allow this."


class ProrationNotSupported(BadRequest):
    """A proration behaviour that the subscription's billing timing cannot honour."""

    code = "proration_behavior_not_supported"
    message = "This proration behaviour is not available for this subscription."


class SubscriptionAmbiguous(BadRequest):
    """The tenant has several subscriptions (or items) and the request names none."""

    code = "subscription_ambiguous"
    message = "Name the subscription (subscription_id) and, if it has several, the item."


class NoUpcomingInvoice(NotFound):
    """Nothing will be invoiced: no subscription renews."""

    code = "no_upcoming_invoice"
    message = "No subscription of this tenant will be invoiced."
